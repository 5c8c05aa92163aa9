"""PostgreSQL, RUM path: a query of several words reads the ranked chunks of its narrowest word
only (pg_rum.narrowest, from the planner's lexeme statistics), the other words checked per
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
    """The hits of `q` and the tsquery the ranked scan of search_chunks read (qstream)."""
    seen: list[str] = []
    engine = app.extensions["handover.db"].kw["bind"]

    def spy(conn, cursor, statement, params, context, many):
        if "FROM search_chunks " in statement and "ORDER BY" in statement and isinstance(params, dict):
            seen.append(params.get("qstream") or params.get("qany"))
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
