"""PostgreSQL search vectors: the text each chunk's tsvector is read from (postgres_fts.
tsvector_text: one entry per term, in order, which the server merges) gives the vector of the
grouped literal (search_support.tsvector_literal), term for term and position for position,
on real Chinese technical Markdown and on hostile edges (other scripts, a digit-e-digit run PostgreSQL's text
parser would cut in two, quotes and backslashes in the text); and the engine's COPY writes
exactly that vector for every chunk of an upload."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from conftest import BACKENDS
from core import db
from search.analysis import tokens
from search.engines.postgres_fts import chunks, tsvector_text
from search_support import tsvector_literal

CORPUS = Path(__file__).parent / "corpus"
EDGES = ["提交 commit 18e3ea63ad65 与 7042e0a8e83d 1e5 0x1F 3.14 v2 2024年3月12日",
         "Ünïcödé straße Ωmega Привет ǅ ｶﾀｶﾅ 한국어 テスト 中文abc123def",
         "O'Brien a\\b 'quoted' ＡＢＣ１２３ x" + "y" * 200 + " \t\n\\N \\. end"]


@pytest.fixture(params=[b for b in BACKENDS if b == "postgresql"])
def backend(request) -> str:
    return request.param


def test_the_written_text_gives_the_vector_of_the_grouped_literal(app):
    texts = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.rglob("*.md"))[:120]] + EDGES
    checked = 0
    with app.app_context():
        s = db.session()
        for body in texts:
            for ch in chunks(tokens(body)):
                same = s.scalar(text("SELECT CAST(:w AS tsvector) = CAST(:l AS tsvector) "
                                     "AND CAST(:w AS tsvector)::text = CAST(:l AS tsvector)::text"),
                                {"w": tsvector_text(ch), "l": tsvector_literal(ch)})
                assert same, body[:80]
                checked += 1
    assert checked > 120


def test_an_upload_copies_each_chunk_vector(app, actions):
    docs = actions.deliverables()
    body = EDGES[0] + "\n\n" + EDGES[2] + "\n\n" + "数据导入完成。" * 50
    vid = actions.upload(docs[next(iter(docs))], body, "O'Brien 报告\\1.md")["id"]
    with app.app_context():
        s = db.session()
        rows = s.execute(text("SELECT chunk, tsv::text FROM search_chunks_all WHERE version_id = :v ORDER BY chunk"),
                         {"v": vid}).all()
        stored = s.execute(text("SELECT name, body FROM search_texts WHERE version_id = :v"), {"v": vid}).one()
        want = [tokens(stored.name)] + chunks(tokens(stored.body))
        assert [r.chunk for r in rows] == list(range(len(want)))
        for r, terms in zip(rows, want):
            assert r.tsv == s.scalar(text("SELECT CAST(:l AS tsvector)::text"), {"l": tsvector_literal(terms)})
    assert actions.search(q="o brien")["total"] == 1
    assert actions.search(q='"18e3ea63ad65"')["total"] == 1
