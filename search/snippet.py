"""Snippets built from the stored text (the same for every engine).

The window with the most distinct query words is shown; matches are wrapped in <mark>
and everything else is HTML-escaped. Matching mirrors the analysis: CJK runs match as
substrings, Latin/digit words as whole words, case- and width-insensitively (NFKC).
"""
from __future__ import annotations

import re
from html import escape

from search.analysis import CJK_CLASS, fold
from search.extract import front_matter_end, strip_front_matter  # noqa: F401  (re-exported)
from search.query_syntax import Leaf

WINDOW = 160
LEAD = 40
MAX_SPANS = 400
_WORD = f"(?:(?![{CJK_CLASS}])[^\\W_])"
_SPACE = re.compile(r"\s+")



def leaf_pattern(leaf: Leaf) -> re.Pattern | None:
    """Regex over folded text for one leaf (None if it has no runs)."""
    if not leaf.runs:
        return None
    parts = []
    for i, (text, cjk) in enumerate(leaf.runs):
        if i:  # two CJK runs or two Latin words need a separator between them (as the terms do:
            # "nebula graph" is not NebulaGraph); a CJK run beside a Latin word needs none
            parts.append(r"[\W_]+" if cjk == leaf.runs[i - 1][1] else r"[\W_]*")
        if cjk:
            parts.append(re.escape(text))
            continue
        piece = re.escape(text)
        if i == 0:
            piece = f"(?<!{_WORD})" + piece
        if i == len(leaf.runs) - 1:
            piece += f"(?!{_WORD})"
        parts.append(piece)
    return re.compile("".join(parts))


def _spans(folded: str, leaves: list[Leaf]) -> list[tuple[int, int, int]]:
    out = []
    for k, leaf in enumerate(leaves):
        pat = leaf_pattern(leaf)
        if pat is None:
            continue
        for n, m in enumerate(pat.finditer(folded)):
            if n >= MAX_SPANS or m.end() == m.start():
                break
            out.append((m.start(), m.end(), k))
    out.sort()
    return out


def _best_window(spans: list[tuple[int, int, int]]) -> int:
    """Start of the first window holding the most distinct query words."""
    most = len({k for _s, _e, k in spans})  # no window can hold more: stop at the first that does
    best, best_start = -1, 0
    for i, (s, _e, _k) in enumerate(spans[:MAX_SPANS]):
        lo = max(0, s - LEAD)
        kinds = {k for (s2, e2, k) in spans[i:i + 50] if e2 <= lo + WINDOW}
        if len(kinds) > best:
            best, best_start = len(kinds), lo
            if best == most:
                break
    return best_start


def _render(text: str, start: int, end: int, spans, origin: int = 0) -> str:
    """Escaped text[start:end] with <mark>s; '…' where it is cut (not before `origin`)."""
    out, pos = [], start
    for s, e, _k in spans:
        if e <= pos or s >= end:
            continue
        s, e = max(s, pos), min(e, end)
        if s >= e:  # inside a span already marked (overlapping words): no empty mark
            continue
        out.append(_esc(text[pos:s]))
        out.append("<mark>" + _esc(text[s:e]) + "</mark>")
        pos = e
    out.append(_esc(text[pos:end]))
    html = "".join(out).strip()
    return ("…" if start > origin else "") + html + ("…" if end < len(text) else "")


def _esc(s: str) -> str:
    return escape(_SPACE.sub(" ", s), quote=True)


def _first_spans(folded: str, leaf: Leaf, opening: int) -> list[tuple[int, int, int]]:
    """The spans of one leaf around its first match, as far as its window can reach (even
    when moved past front matter): every window holds one distinct word, so _best_window
    takes the first match's. The rest of the text is not matched (a word of every paragraph
    has hundreds of matches in a long text)."""
    pat = leaf_pattern(leaf)
    spans: list[tuple[int, int, int]] = []
    end = 0
    for m in (pat.finditer(folded) if pat is not None else ()):
        if m.end() == m.start():
            break
        if not spans:
            end = max(m.start() - LEAD, opening) + WINDOW
        elif m.start() >= end:
            break
        spans.append((m.start(), m.end(), 0))
    return spans


def make_snippet(body: str, name: str, leaves: list[Leaf]) -> str:
    """HTML snippet of `body` (or of `name` when the body has no match)."""
    folded = fold(body)
    if len(folded) != len(body):  # stored text is NFKC already; be safe if not
        body = folded
    # The text's opening: after a YAML front matter block and the blank space that follows.
    opening = front_matter_end(body)
    opening += len(body[opening:opening + 1000]) - len(body[opening:opening + 1000].lstrip())
    # The usual query, one word: only its first window is matched.
    spans = _first_spans(folded, leaves[0], opening) if len(leaves) == 1 else _spans(folded, leaves)
    if spans:
        start = _best_window(spans)
        if start < opening <= min(s for s, _e, _k in spans if s >= start):
            start = opening  # the window's lead-in would show front matter
        return _render(body, start, min(len(body), start + WINDOW), spans, origin=opening)
    name_spans = _spans(fold(name), leaves)
    if name_spans or not body[opening:].strip():
        return _render(name, 0, len(name), name_spans)
    return _render(body, opening, min(len(body), opening + WINDOW), [], origin=opening)
