"""Text analysis shared by every engine, the snippets and the tests.

fold(): NFKC, then a length-preserving lowercase (so offsets in folded text are
offsets in the NFKC text). tokens(): CJK runs (Han, kana, hangul) become overlapping
two-character grams, plus the run's last character as a one-character term (so a
single-character query also finds a character that ends a run); a run of one
character is that character. Other letters/digits form words. Everything else
(punctuation, symbols, spaces, control characters) separates tokens.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
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
# CJK letters only (the ranges hold a few symbols, e.g. the katakana middle dot).
_RUN_RE = re.compile(f"((?:(?=[{CJK_CLASS}])[^\\W_])+)|((?:(?![{CJK_CLASS}])[^\\W_])+)")
_CJK_RE = re.compile(f"[{CJK_CLASS}]")


def is_cjk(ch: str) -> bool:
    return bool(_CJK_RE.match(ch))


def _lower_char(c: str) -> str:
    low = c.lower()
    return low if len(low) == 1 else c


_FOLD_CACHE: dict[str, str] = {}


def fold(text: str) -> str:
    """NFKC + per-character lowercase (the folded text has the NFKC text's length)."""
    text = unicodedata.normalize("NFKC", text)
    if text.isascii():
        return text.lower()
    out = []
    for c in text:
        f = _FOLD_CACHE.get(c)
        if f is None:
            f = _FOLD_CACHE[c] = _lower_char(c)
        out.append(f)
    return "".join(out)


@dataclass(frozen=True)
class Run:
    """A maximal run of CJK characters (cjk=True) or one Latin/digit word, in folded text."""
    text: str
    cjk: bool
    start: int


def runs(folded: str) -> Iterator[Run]:
    for m in _RUN_RE.finditer(folded):
        if m.group(1):
            yield Run(m.group(1), True, m.start())
        else:
            yield Run(m.group(2)[:MAX_TOKEN], False, m.start())


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
    """The index terms of `text`, in order (positions = list indexes)."""
    f = text if folded else fold(text)
    out: list[str] = []
    for r in runs(f):
        out.extend(run_tokens(r))
    return out


def index_text(text: str) -> str:
    """Terms joined by spaces: what FTS5 (unicode61) and PostgreSQL index."""
    return " ".join(tokens(text))
