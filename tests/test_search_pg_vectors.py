"""PostgreSQL search vectors: where postgres_fts.chunk_value lets the server's parser build a
chunk's tsvector (to_tsvector('simple', terms joined by spaces)), the result equals the literal
the chunk's terms make, term for term and position for position, on real Chinese technical
Markdown and on the texts that must take the literal instead (other scripts, a
digit-e-digit run the parser would cut in two)."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from conftest import BACKENDS
from core import db
from search.analysis import tokens
from search.engines.postgres_fts import chunk_value, chunks, tsvector_literal

CORPUS = Path(__file__).parent / "corpus"
EDGES = ["提交 commit 18e3ea63ad65 与 7042e0a8e83d 1e5 0x1F 3.14 v2 2024年3月12日",
         "Ünïcödé straße Ωmega Привет ǅ ｶﾀｶﾅ 한국어 テスト 中文abc123def",
         "O'Brien a\\b 'quoted' ＡＢＣ１２３ x" + "y" * 200]


@pytest.fixture(params=[b for b in BACKENDS if b == "postgresql"])
def backend(request) -> str:
    return request.param


def test_server_parsed_vectors_equal_the_literal(app):
    texts = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.rglob("*.md"))[:120]] + EDGES
    parsed = literal = 0
    with app.app_context():
        s = db.session()
        for body in texts:
            for ch in chunks(tokens(body)):
                value, parse = chunk_value(ch)
                if not parse:
                    literal += 1
                    assert value == tsvector_literal(ch)
                    continue
                parsed += 1
                same = s.scalar(text("SELECT to_tsvector('simple', :j) = CAST(:l AS tsvector)"),
                                {"j": value, "l": tsvector_literal(ch)})
                assert same, body[:80]
    assert parsed > 50 and literal >= 2  # both paths were taken


def test_unsafe_terms_take_the_literal():
    assert chunk_value(["数据", "据库", "库", "nebula", "3"]) == ("数据 据库 库 nebula 3", True)
    assert chunk_value(["18e3ea63"])[1] is False
    assert chunk_value(["straße"])[1] is False
    assert chunk_value(["привет"])[1] is False
