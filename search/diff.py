"""What changed between two versions of one deliverable, from their extracted text.

The text is search's extraction (search.sandbox, bounded): DOCX paragraphs, Markdown and
plain text (without YAML front matter), a PDF's text layer, run again on the stored blob
so the characters stay as written; or, for a scan, the text OCR recognised. Paragraphs
(non-empty lines, white space collapsed) are compared with difflib; the JSON gives the
unified diff, the page puts changed paragraphs side by side with the changed characters
marked (character level suits Chinese, which has no spaces between words).
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from html import escape

from markupsafe import Markup

from core import db
from core.errors import Conflict, UserValueError
from core.models import User
from deliverables import visibility
from deliverables.models import Version
from core.storage import blob_path
from search.models import SearchText
from search.sandbox import EXTRACTED, Limits, extract_file

MAX_PARAGRAPHS = 10_000     # per side; beyond it the diff covers the start (`truncated`)
MAX_CHARS = 2_000_000       # per side, likewise
MAX_INLINE = 4_000          # longer changed paragraphs are marked as a whole, not character by character
CONTEXT = 2                 # unchanged paragraphs shown around a change on the page
_SPACE = re.compile(r"[ \t\u00a0\u3000]+")


@dataclass
class Row:
    """One line of the side-by-side view: kind is equal | changed | removed | added | skipped
    (`count` unchanged paragraphs not shown); `old`/`new` are escaped HTML."""
    kind: str
    old: Markup = Markup("")
    new: Markup = Markup("")
    old_no: int | None = None
    new_no: int | None = None
    count: int = 0


@dataclass
class VersionDiff:
    old: Version
    new: Version
    a: list[str]
    b: list[str]
    truncated: bool = False
    _ops: list | None = field(default=None, repr=False)

    def opcodes(self) -> list:
        if self._ops is None:
            self._ops = difflib.SequenceMatcher(None, self.a, self.b, autojunk=False).get_opcodes()
        return self._ops

    def unified(self) -> list[str]:
        """Unified diff lines (---/+++ headers, @@ hunks, ' '/'-'/'+' paragraphs)."""
        return list(difflib.unified_diff(self.a, self.b, fromfile=_label(self.old), tofile=_label(self.new),
                                         lineterm="", n=3))

    def counts(self) -> tuple[int, int]:
        """(paragraphs added, paragraphs removed); a changed paragraph counts once in each."""
        added = removed = 0
        for tag, i1, i2, j1, j2 in self.opcodes():
            if tag != "equal":
                removed += i2 - i1
                added += j2 - j1
        return added, removed

    def rows(self) -> list[Row]:
        """The side-by-side view, paragraph by paragraph, long unchanged runs folded."""
        out: list[Row] = []
        ops = self.opcodes()
        for k, (tag, i1, i2, j1, j2) in enumerate(ops):
            if tag == "equal":
                keep_head = CONTEXT if k > 0 else 0
                keep_tail = CONTEXT if k < len(ops) - 1 else 0
                n = i2 - i1
                if n <= keep_head + keep_tail + 1:
                    shown = list(range(n))
                    skipped = 0
                else:
                    shown = list(range(keep_head)) + list(range(n - keep_tail, n))
                    skipped = n - keep_head - keep_tail
                for m, off in enumerate(shown):
                    if skipped and m == keep_head:
                        out.append(Row("skipped", count=skipped))
                    text = Markup(escape(self.a[i1 + off]))
                    out.append(Row("equal", text, text, i1 + off + 1, j1 + off + 1))
                if skipped and keep_head == len(shown):
                    out.append(Row("skipped", count=skipped))
                continue
            pairs = min(i2 - i1, j2 - j1) if tag == "replace" else 0
            for p in range(pairs):
                old, new = mark_changes(self.a[i1 + p], self.b[j1 + p])
                out.append(Row("changed", old, new, i1 + p + 1, j1 + p + 1))
            for i in range(i1 + pairs, i2):
                out.append(Row("removed", old=Markup(f"<del>{escape(self.a[i])}</del>"), old_no=i + 1))
            for j in range(j1 + pairs, j2):
                out.append(Row("added", new=Markup(f"<ins>{escape(self.b[j])}</ins>"), new_no=j + 1))
        return out


def _label(v: Version) -> str:
    return f"V{v.number} {v.filename}"


def paragraphs(text: str) -> tuple[list[str], bool]:
    """Non-empty lines (form feeds are line breaks), white space collapsed; and whether the
    text was cut at MAX_CHARS / MAX_PARAGRAPHS."""
    truncated = len(text) > MAX_CHARS
    out = []
    for line in text[:MAX_CHARS].replace("\f", "\n").splitlines():
        line = _SPACE.sub(" ", line).strip()
        if line:
            out.append(line)
    if len(out) > MAX_PARAGRAPHS:
        out, truncated = out[:MAX_PARAGRAPHS], True
    return out, truncated


def mark_changes(old: str, new: str) -> tuple[Markup, Markup]:
    """Both paragraphs as HTML, the characters only in `old` in <del>, only in `new` in <ins>."""
    if len(old) > MAX_INLINE or len(new) > MAX_INLINE:
        return Markup(f"<del>{escape(old)}</del>"), Markup(f"<ins>{escape(new)}</ins>")
    a, b = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            a.append(escape(old[i1:i2]))
            b.append(escape(new[j1:j2]))
            continue
        if i2 > i1:
            a.append(f"<del>{escape(old[i1:i2])}</del>")
        if j2 > j1:
            b.append(f"<ins>{escape(new[j1:j2])}</ins>")
    return Markup("".join(a)), Markup("".join(b))


def parse_against(raw) -> int:
    """The `against` query parameter: a positive version id, else 400."""
    value = (raw or "").strip() if isinstance(raw, str) else raw
    if value in (None, ""):
        raise UserValueError("Give the version to compare with: ?against=<version id>.", "diff_against_missing")
    if not isinstance(value, str) or not value.isascii() or not value.isdigit() or len(value) > 18 or int(value) < 1:
        raise UserValueError("against must be the id of another version.", "diff_against_invalid")
    return int(value)


def compare(user: User, version_id: int, against) -> VersionDiff:
    """The diff from version `against` to version `version_id` (both visible to `user`: 404
    otherwise, as everywhere; deliverables.visibility decides); 400 unless they are two
    different versions of one deliverable; 409 when a version's text is not available."""
    new = visibility.get_version(user, version_id)
    other_id = parse_against(against)
    if other_id == new.id:
        raise UserValueError("Compare two different versions.", "diff_same_version")
    old = visibility.get_version(user, other_id)
    if old.deliverable_id != new.deliverable_id:
        raise UserValueError("Both versions must belong to the same deliverable.", "diff_other_deliverable")
    (a, cut_a), (b, cut_b) = (paragraphs(text_of(v)) for v in (old, new))
    return VersionDiff(old, new, a, b, truncated=cut_a or cut_b)


def text_of(v: Version) -> str:
    """The version's text as written: extracted again from the blob (bounded, like an
    upload; the stored search text is NFKC-folded, so its full-width ，：would read as
    ASCII), or the stored text that OCR recognised. 409 when there is none."""
    row = db.session().get(SearchText, v.id)
    status = row.status if row else "missing"
    if status == "ocr":
        return row.body
    if status == "extracted":
        got = extract_file(blob_path(v.sha256), v.filename, Limits.from_app(), nfkc=False)
        if got.status == EXTRACTED:
            return got.text
        status = got.status
    raise Conflict(f"The text of V{v.number} is not available ({status}).", "diff_no_text",
                   number=v.number, status=status)


def diff_json(d: VersionDiff) -> dict:
    """The contract's shape: {"from", "to", "added", "removed", "diff"} (plus `truncated`)."""
    added, removed = d.counts()

    def side(v: Version) -> dict:
        return {"id": v.id, "number": v.number, "revision": v.revision, "filename": v.filename, "sha256": v.sha256}
    return {"from": side(d.old), "to": side(d.new), "added": added, "removed": removed, "diff": d.unified(),
            "truncated": d.truncated}
