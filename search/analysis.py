"""Text analysis shared by every engine, the snippets and the tests.

fold(): NFKC, then, per character (so offsets in folded text are offsets in the NFKC
text): CJK radicals and strokes become their equivalent unified ideograph (Unicode's
EquivalentUnifiedIdeograph.txt, vendored in search/data: a PDF printed by a browser may
store 门 as the radical ⻔ U+2ED4; NFKC already maps Kangxi radicals and compatibility
ideographs), and a length-preserving lowercase. tokens(): CJK runs (Han, kana, hangul) become overlapping
two-character grams, plus the run's last character as a one-character term (so a
single-character query also finds a character that ends a run); a run of one
character is that character. Other letters/digits form words. Everything else
(punctuation, symbols, spaces, control characters) separates tokens.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

MAX_TOKEN = 64  # longer Latin words are cut (index and query alike)

_CJK_RANGES = (
    (0x1100, 0x11FF), (0x3040, 0x30FF), (0x3100, 0x312F), (0x3130, 0x318F),
    (0x31A0, 0x31BF), (0x31F0, 0x31FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xA960, 0xA97F), (0xAC00, 0xD7FF),
    (0xF900, 0xFAFF), (0xFF66, 0xFF9F), (0x20000, 0x3FFFF),
)


def _cjk_class() -> str:
    parts = []
    for lo, hi in _CJK_RANGES:
        parts.append(f"\\U{lo:08x}-\\U{hi:08x}")
    return "".join(parts)


CJK_CLASS = _cjk_class()
# A token: a run of CJK letters, or a run of other letters/digits ([^\W_] = letter or digit).
# Found in two steps, each a plain character class (C speed, 2.3x faster on the corpus than one
# pattern with a look-ahead per character): maximal letter/digit runs, then, in a run that is
# not ASCII, its CJK and other parts. CJK letters only: the ranges hold a few symbols (e.g.
# the katakana middle dot), which the first step has already dropped.
_WORD_RE = re.compile(r"[^\W_]+")
_SPLIT_RE = re.compile(f"([{CJK_CLASS}]+)|([^{CJK_CLASS}]+)")
_CJK_RE = re.compile(f"[{CJK_CLASS}]")


def is_cjk(ch: str) -> bool:
    return bool(_CJK_RE.match(ch))


# Hangul (jamo, compatibility jamo, syllables): Korean puts spaces between words, Chinese and
# Japanese do not (query_syntax._joined).
_HANGUL_RE = re.compile("[\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7ff]")


def is_hangul(ch: str) -> bool:
    return bool(_HANGUL_RE.match(ch))


def _lower_char(c: str) -> str:
    low = c.lower()
    return low if len(low) == 1 else c


EQUIVALENTS_FILE = Path(__file__).parent / "data" / "EquivalentUnifiedIdeograph.txt"


def load_equivalents(path: Path = EQUIVALENTS_FILE) -> dict[str, str]:
    """{radical or stroke: unified ideograph} from the Unicode data file (ranges expanded)."""
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        source, target = (x.strip() for x in entry.split(";"))
        lo, _, hi = source.partition("..")
        for cp in range(int(lo, 16), int(hi or lo, 16) + 1):
            out[chr(cp)] = chr(int(target, 16))
    return out


EQUIVALENTS = load_equivalents()
_FOLD_CACHE: dict[str, str] = {}
FOLD_CACHE_MAX = 4096
_UNIFY_TABLE = {ord(k): v for k, v in EQUIVALENTS.items()}  # unify() for str.translate (C speed)
# Any character unify() changes: most texts have none, and a regex search is ~10x faster than translate.
_UNIFY_RE = re.compile("[" + "".join(re.escape(k) for k in sorted(EQUIVALENTS)) + "]")


def unify_char(c: str) -> str:
    """A CJK radical or stroke's equivalent unified ideograph; any other character itself."""
    return EQUIVALENTS.get(c, c)


def unify(text: str) -> str:
    """`text` with CJK radicals and strokes replaced by their unified ideographs (same length)."""
    if text.isascii() or not _UNIFY_RE.search(text):  # most texts: nothing to replace
        return text
    return text.translate(_UNIFY_TABLE)  # one character for one: the length is kept


def fold(text: str) -> str:
    """NFKC, radicals unified, per-character lowercase (the folded text has the NFKC text's length)."""
    text = unicodedata.normalize("NFKC", text)
    if text.isascii():
        return text.lower()
    # Fast path: str.lower() is the per-character lowercase except where a character lowers to
    # several (U+0130: the result gets longer) and for the final-sigma rule (its only context
    # rule); radicals and strokes have no case, so unifying after lowering is the same.
    low = text.lower()
    if len(low) == len(text) and "\u03a3" not in text:
        return low.translate(_UNIFY_TABLE) if _UNIFY_RE.search(low) else low
    out = []
    for c in text:
        f = _FOLD_CACHE.get(c)
        if f is None:
            if len(_FOLD_CACHE) >= FOLD_CACHE_MAX:  # bounded: any text may bring new characters
                _FOLD_CACHE.clear()
            f = _FOLD_CACHE[c] = _lower_char(unify_char(c))
        out.append(f)
    return "".join(out)


@dataclass(frozen=True)
class Run:
    """A maximal run of CJK characters (cjk=True) or one Latin/digit word, in folded text."""
    text: str
    cjk: bool
    start: int


def runs(folded: str) -> Iterator[Run]:
    for m in _WORD_RE.finditer(folded):
        w = m.group()
        if w.isascii():
            yield Run(w[:MAX_TOKEN], False, m.start())
            continue
        for part in _SPLIT_RE.finditer(w):
            if part.group(1):
                yield Run(part.group(1), True, m.start() + part.start())
            else:
                yield Run(part.group(2)[:MAX_TOKEN], False, m.start() + part.start())


def run_tokens(run: Run, trailing: bool = True) -> list[str]:
    """Index terms of one run; `trailing` adds a multi-character CJK run's last character."""
    if not run.cjk:
        return [run.text]
    t = run.text
    if len(t) == 1:
        return [t]
    grams = [t[i:i + 2] for i in range(len(t) - 1)]
    if trailing:
        grams.append(t[-1])
    return grams


def tokens(text: str, *, folded: bool = False) -> list[str]:
    """The index terms of `text`, in order (positions = list indexes): run_tokens() of each of
    runs(), inlined (this is on every upload's path)."""
    f = text if folded else fold(text)
    out: list[str] = []
    append, extend = out.append, out.extend
    for w in _WORD_RE.findall(f):
        if w.isascii():  # most words of a technical text: one Latin/digit term
            append(w[:MAX_TOKEN])
            continue
        for t, other in _SPLIT_RE.findall(w):
            if other:
                append(other[:MAX_TOKEN])
            elif len(t) == 1:
                append(t)
            else:
                extend(map(str.__add__, t[:-1], t[1:]))  # the bigrams, without a Python-level loop
                append(t[-1])
    return out


def index_text(text: str) -> str:
    """Terms joined by spaces: what FTS5 (unicode61) and PostgreSQL index."""
    return " ".join(tokens(text))
