"""search.analysis.fold/tokens take a fast path (str.lower, one regex pass) that must give exactly
what the per-character rule gives, and the per-character cache stays bounded whatever text comes."""
from __future__ import annotations

import random
import unicodedata

from search import analysis


def _reference_fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    if text.isascii():
        return text.lower()
    return "".join(analysis._lower_char(analysis.unify_char(c)) for c in text)


def _reference_tokens(text: str) -> list[str]:
    return [t for r in analysis.runs(_reference_fold(text)) for t in analysis.run_tokens(r)]


def test_fast_fold_and_tokens_equal_the_per_character_rule():
    rng = random.Random(20261127)
    pool = [chr(c) for c in [*range(32, 0x250), *range(0x370, 0x530), *range(0x2E80, 0x2FE0), *range(0x31C0, 0x31F0),
                             *range(0x3000, 0x3100), *range(0x4E00, 0x4E80), 0x130, 0x3A3, 0x1E9E, 0xFB00, 0xFF21]]
    samples = ["ΟΔΟΣ ΣΟΦΟΣ", "İstanbul İ", "⻔禁系统 门禁", "Straße ＡＢＣ", "ﬀ ligature", ""]
    samples += ["".join(rng.choice(pool) for _ in range(rng.randrange(1, 40))) for _ in range(3000)]
    for text in samples:
        assert analysis.fold(text) == _reference_fold(text), repr(text)
        assert analysis.tokens(text) == _reference_tokens(text), repr(text)


def test_fold_cache_is_bounded():
    # the per-character path (taken for texts with a capital sigma) meets 20,000 new characters
    for start in range(0x4E00, 0x4E00 + 20_000, 100):
        analysis.fold("\u03a3" + "".join(chr(c) for c in range(start, start + 100)))
    assert len(analysis._FOLD_CACHE) <= analysis.FOLD_CACHE_MAX
