"""PostgreSQL: a query of several words ranks the chunks of its narrowest word only, by that
word (pg_rum.narrowest, from the planner's lexeme statistics), the other words checked per
version. Same answers whichever word is read, including a version whose words lie in different
chunks (one in the file name, one in the body). PostgreSQL only."""
from __future__ import annotations

import pytest
from sqlalchemy import event, text

from conftest import BACKENDS
from core import db
from search.engines import pg_rum
from search_support import version_ids

PG = [b for b in BACKENDS if b == "postgresql"]


@pytest.fixture(params=PG)
def backend(request) -> str:
    """This module's backend: PostgreSQL only."""
    return request.param


@pytest.fixture
def uploaded(app, actions):
    """20 versions holding 通用; 2 of them 罕见 as well, one in its file name only."""
    docs = actions.deliverables()
    keys = list(docs)[:20]
    ids = {}
    for i, key in enumerate(keys):
        body = f"通用说明第{i}份。" * 3 + ("罕见术语出现于此。" if i == 3 else "")
        name = "罕见附录.md" if i == 7 else f"说明-{i}.md"
        ids[i] = actions.upload(docs[key], body, name)["id"]
    with app.app_context():
        db.session().execute(text("ANALYZE search_chunks, search_chunks_recent"))
        db.session().commit()
    app.extensions.pop(pg_rum.STATS_KEY, None)
    return ids


def _streamed(app, actions, q: str) -> tuple[set[int], list[str]]:
    """The hits of `q` and the tsqueries the ranking read chunks by: qstream (the chunks ranked,
    by the ordered scan or one by one) and qrank (what they are ranked by)."""
    seen: list[str] = []
    engine = app.extensions["handover.db"].kw["bind"]

    def spy(conn, cursor, statement, params, context, many):
        if isinstance(params, dict) and "qrank" in params:
            seen.extend(p for p in (params.get("qstream"), params["qrank"]) if p)
    event.listen(engine, "before_cursor_execute", spy)
    try:
        return version_ids(actions.search(q=q, limit=50)), seen
    finally:
        event.remove(engine, "before_cursor_execute", spy)


def test_the_ranked_scan_reads_the_narrowest_word(app, actions, uploaded):
    with app.app_context():
        shares = pg_rum.term_shares()[0]
        assert shares.get("通用", 0) > shares.get("罕见", 0)
    for q in ("通用 罕见", "罕见 通用"):
        hits, streamed = _streamed(app, actions, q)
        assert hits == {uploaded[3], uploaded[7]}, "the file-name match counts as much as the body one"
        assert streamed and all("罕见" in s and "通用" not in s for s in streamed)
    hits, streamed = _streamed(app, actions, "通用 -罕见")
    assert hits == set(uploaded.values()) - {uploaded[3], uploaded[7]}


def test_answers_do_not_depend_on_which_word_is_read(app, actions, uploaded, monkeypatch):
    queries = ["通用 罕见", "罕见 通用", '"通用说明" 罕见', "通用 罕见 OR 附录", "说明 通用 -罕见"]
    ranked = [actions.search(q=q, limit=5)["hits"] for q in queries]
    totals = [actions.search(q=q)["total"] for q in queries]
    # Statistics that say the opposite: the common word is read instead.
    monkeypatch.setattr(pg_rum, "term_shares", lambda: ({"罕见": 0.9, "通用": 0.01}, 0.001))
    assert [actions.search(q=q)["total"] for q in queries] == totals
    for q, before in zip(queries, ranked):
        after = actions.search(q=q, limit=5)["hits"]
        assert {h["version_id"] for h in after} == {h["version_id"] for h in before}, q


def test_without_statistics_the_first_word_is_read(app, actions, uploaded, monkeypatch):
    """A table not yet analysed lists no lexemes: every word looks alike and the first is read."""
    monkeypatch.setattr(pg_rum, "term_shares", lambda: ({}, 1.0))
    hits, streamed = _streamed(app, actions, "通用 罕见")
    assert hits == {uploaded[3], uploaded[7]}
    assert streamed and all("通用" in s and "罕见" not in s for s in streamed)


def test_ranking_leaves_out_terms_of_nearly_every_chunk(monkeypatch):
    """rank_tsquery: the narrowest word's leaves, each by its terms joined by &, without the
    terms in UBIQUITOUS of the chunks (they cost the most positions and tell nothing apart),
    but never without the leaf's rarest term; a lone prefix term stays a prefix."""
    from search.query_syntax import parse
    shares = {"nebula": 0.5, "graph": 0.49, "数据": 0.53, "图数": 0.19, "据库": 0.34}
    monkeypatch.setattr(pg_rum, "term_shares", lambda: (shares, 0.01))
    rank = lambda q: pg_rum.rank_tsquery(parse(q).positive_leaves())  # noqa: E731
    assert rank('"图数据库"') == "('图数' & '据库')"
    assert rank('"nebula graph"') == "('graph')", "all ubiquitous: the rarest ranks"
    assert rank("图数据库 OR nebula") == "('图数' & '据库') | ('nebula')"
    assert rank("罕见词") == "('罕见' & '见词')", "unlisted terms are rare"
    assert rank("边") == "('边':*)"
    assert rank('"点 和，边"') == "('点和' & '和')", "a prefix term does not rank beside others"


@pytest.mark.parametrize("listed, rank_listed", [(pg_rum.LISTED, pg_rum.RANK_LISTED), (pg_rum.LISTED, 0), (0, 0)])
def test_every_way_to_rank_several_words_gives_the_same_page(app, actions, uploaded, monkeypatch, listed,
                                                             rank_listed):
    """A query of several words: its visible matches listed once and ranked one by one
    (_rank_listed), listed and read from the ordered scan, or not listed (more than LISTED:
    each batch checked by a query) give the same total, hits and order."""
    queries = ["通用 说明", "通用 -罕见", "说明 通用 OR 罕见"]
    expected = [actions.search(q=q, limit=7, offset=2) for q in queries]
    monkeypatch.setattr(pg_rum, "LISTED", listed)
    monkeypatch.setattr(pg_rum, "RANK_LISTED", rank_listed)
    for q, before in zip(queries, expected):
        after = actions.search(q=q, limit=7, offset=2)
        assert after["total"] == before["total"] == (18 if "-" in q else 20), q
        assert [h["version_id"] for h in after["hits"]] == [h["version_id"] for h in before["hits"]], q


def test_a_query_nothing_matches_reads_no_ranked_chunk(app, actions, uploaded):
    """The total is counted first: nothing matches, nothing is ranked."""
    hits, streamed = _streamed(app, actions, '"罕见 通用"')
    assert hits == set() and streamed == []
    hits, streamed = _streamed(app, actions, "没有的词")
    assert hits == set() and streamed == []
