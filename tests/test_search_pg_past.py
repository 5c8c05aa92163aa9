"""PostgreSQL search chunks of superseded versions (search/engines/pg_current.py, migration
0016): marked past when moved out of the recent table, by the search_merge job when their
version is superseded later, and by the rebuild; a latest-only search reads the current ones
only, an all-versions search both (its ranked scan merges both partial indexes). Marking
changes no answer, for the pm (latest version) and the client (latest signed-off one).
PostgreSQL only: where it is absent, these tests are not collected with a backend."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from conftest import BACKENDS
from core import db
from search.engines import pg_merge, pg_rum

PG = [b for b in BACKENDS if b == "postgresql"]
WORDS = ["巡检记录", "甲一", "甲二", "甲三", '"巡检记录"', "巡检 -甲三", "乙一", "乙二", "丙"]


@pytest.fixture(params=PG)
def backend(request) -> str:
    """This module's backend: PostgreSQL only."""
    return request.param


def _answers(actions) -> list:
    """Every query's total and hits (two pages), for the pm and the client, latest-only and all
    versions."""
    out = []
    for who in ("pm", "client"):
        for every in ("0", "1"):
            for q in WORDS:
                for offset in (0, 2):
                    r = actions.search(who=who, q=q, limit=2, offset=offset, all_versions=every)
                    out.append((who, every, q, offset, r["total"], [h["version_id"] for h in r["hits"]]))
    return out


def _past(app) -> dict[int, bool]:
    """{version id: past?} of the chunks in search_chunks (one flag a version)."""
    with app.app_context():
        rows = db.session().execute(text("SELECT version_id, bool_and(past), bool_or(past) FROM search_chunks "
                                         "GROUP BY version_id")).all()
    assert all(a == b for _, a, b in rows), "a version's chunks are marked together"
    return {v: a for v, a, _ in rows}


@pytest.fixture
def versions(actions):
    """A: three versions (two superseded); B: v1 signed off, then v2 (the client's latest is
    still v1); C: one version."""
    docs = list(actions.deliverables().values())
    a = [actions.upload(docs[0], f"巡检记录 甲{n}。" * 3, f"甲-{i}.md")["id"] for i, n in enumerate("一二三")]
    b1 = actions.upload(docs[1], "巡检记录 乙一。", "乙-1.md")["id"]
    actions.sign_off(b1)
    b2 = actions.upload(docs[1], "巡检记录 乙二。", "乙-2.md")["id"]
    c = actions.upload(docs[2], "丙 巡检记录", "丙.md")["id"]
    return {"a": a, "b1": b1, "b2": b2, "c": c}


def _merge_all(app) -> None:
    with app.app_context():
        while pg_merge.merge_batch():
            pass
        db.session().commit()


def test_moved_chunks_are_marked_and_answers_do_not_change(app, actions, versions):
    before = _answers(actions)
    _merge_all(app)
    past = _past(app)
    a1, a2, a3 = versions["a"]
    assert past == {a1: True, a2: True, a3: False, versions["b1"]: False, versions["b2"]: False,
                    versions["c"]: False}, "superseded versions only; B's signed-off v1 is the client's latest"
    assert _answers(actions) == before
    # An old version is found by an all-versions search only (its chunks are past).
    assert actions.search(q="甲一")["total"] == 0
    assert [h["version_id"] for h in actions.search(q="甲一", all_versions="1")["hits"]] == [a1]
    assert [h["version_id"] for h in actions.search(who="client", q="乙一")["hits"]] == [versions["b1"]]
    with app.app_context():
        s = db.session()
        current = s.scalar(text("SELECT count(*) FROM search_chunks_all WHERE NOT past"))
        every = s.scalar(text("SELECT count(*) FROM search_chunks_parts"))
        assert current == s.scalar(text("SELECT count(*) FROM search_chunks WHERE NOT past")) and every > current


def test_the_job_marks_chunks_of_versions_superseded_later(app, actions, runner):
    docs = list(actions.deliverables().values())
    v1 = actions.upload(docs[0], "巡检记录 甲一。", "甲-1.md")["id"]
    _merge_all(app)
    assert _past(app) == {v1: False}
    v2 = actions.upload(docs[0], "巡检记录 甲二。", "甲-2.md")["id"]
    before = _answers(actions)
    out = runner.invoke(args=["search", "status"]).output
    assert "chunks waiting for the search_merge job: 2, of superseded versions still to mark past: 2" in out
    with app.app_context():
        result = pg_merge.job()
    assert result == {"moved": 2, "marked": 2, "left": 0}  # v2's name and body moved; v1's marked
    assert _past(app) == {v1: True, v2: False}
    assert _answers(actions) == before
    with app.app_context():
        assert pg_merge.job() == {"moved": 0, "marked": 0, "left": 0}
    assert "still to mark past: 0" in runner.invoke(args=["search", "status"]).output


def test_the_rebuild_marks_past_chunks(app, actions, versions):
    before = _answers(actions)
    with app.app_context():
        pg_merge.bulk_merge()
        db.session().commit()
    a1, a2, a3 = versions["a"]
    assert _past(app) == {a1: True, a2: True, a3: False, versions["b1"]: False, versions["b2"]: False,
                          versions["c"]: False}
    assert _answers(actions) == before
    with app.app_context():
        views = set(db.session().scalars(text("SELECT viewname FROM pg_views WHERE viewname LIKE 'search_chunks%'")))
    assert views == {"search_chunks_all", "search_chunks_parts"}


def test_each_part_has_its_partial_index(app, actions, versions):
    """Where RUM is in use: the current chunks' RUM and newest-first indexes say NOT past, the
    third says past, and an all-versions ranked scan reads both (both versions of A rank)."""
    _merge_all(app)
    with app.app_context():
        if not pg_rum.use_rum():
            return  # the GIN path: one index over every chunk
        defs = dict(db.session().execute(text("SELECT indexname, indexdef FROM pg_indexes "
                                              "WHERE tablename = 'search_chunks'")).all())
    assert defs[pg_rum.INDEX].endswith("WHERE (NOT past)")
    assert defs["ix_search_chunks_past"].endswith("WHERE past")
    assert "WHERE ((NOT past) AND (version_id > 0))" in defs[pg_rum.NEWEST]
    assert "WHERE (past AND (version_id > 0))" in defs[pg_rum.PAST_NEWEST]
    hits = actions.search(q="甲", all_versions="1", limit=10)["hits"]
    assert sorted(h["version_id"] for h in hits) == sorted(versions["a"])


def test_an_all_versions_search_walks_both_parts(app, actions, docs_five, clock, monkeypatch):
    """The common-query rule applies to a search of all versions too: its walk merges the
    newest-first indexes of both parts (and the recent table); with the walk off it is ranked
    over both, its total exact."""
    from test_search_common_rule import common
    common(monkeypatch, cap=2)
    made = docs_five
    latest = actions.search(q="巡检 记录")
    if not pg_rum_in_use(app):
        return                                                 # the GIN path ranks every query
    assert latest["total"] == 2 and latest["total_exact"] is False
    assert [h["version_id"] for h in latest["hits"]] == [made[4], made[3]]
    every = actions.search(q="巡检 记录", all_versions="1", limit=10)
    assert every["total"] == 2 and every["total_exact"] is False
    assert [h["version_id"] for h in every["hits"]] == [made[4], made[3]]
    every = actions.search(q="第1份", all_versions="1", limit=10)       # only in a past version
    assert [h["version_id"] for h in every["hits"]] == [made[1]]
    monkeypatch.setattr(pg_rum, "WALK", 1)                              # too many chunks: ranked
    monkeypatch.setattr(pg_rum, "BATCH", 1)
    every = actions.search(q="巡检 记录", all_versions="1", limit=10)
    assert every["total"] == 5 and every["total_exact"] is True
    assert {h["version_id"] for h in every["hits"]} == set(made)


def pg_rum_in_use(app) -> bool:
    with app.app_context():
        return pg_rum.use_rum() and pg_rum.newest_index(all_versions=True)


@pytest.fixture
def docs_five(app, actions, clock):
    """Five versions holding 巡检 记录: three of one document (two superseded, marked past by the
    job), two of others."""
    docs = list(actions.deliverables().values())
    made = []
    for i, d in enumerate([docs[0], docs[0], docs[0], docs[1], docs[2]]):
        clock.advance(minutes=1)
        made.append(actions.upload(d, f"第{i}份 巡检 记录", f"f{i}.txt")["id"])
    with app.app_context():
        pg_merge.job()
    assert sum(_past(app).values()) == 2
    return made
