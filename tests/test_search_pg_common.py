"""PostgreSQL's common-query path (search/common.py, pg_rum._search_common): the newest
matches come from the newest-first index (migration 0015, merged chunks) and from the recent
table in one order; a walk that reads more than WALK chunks ranks the query instead; a rare
phrase of common words is ranked, not walked. PostgreSQL only (the rule's own tests,
test_search_common_rule.py, run on both databases)."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event, text

from conftest import BACKENDS
from core import db
from search.engines import pg_merge, pg_rum
from search_support import version_ids
from test_search_common_rule import common, upload_five


@pytest.fixture(params=[b for b in BACKENDS if b == "postgresql"])
def backend(request) -> str:
    """This module's backend: PostgreSQL only."""
    return request.param


@pytest.fixture
def docs(app, actions):
    app.config["HANDOVER_SEARCH"] = "db"
    return actions.deliverables()


def test_both_chunk_tables_are_walked_newest_first(app, actions, docs, clock, monkeypatch):
    """PostgreSQL: the newest matches come from the newest-first index (merged chunks) and from
    the recent table, in one order; a walk that reads too many chunks ranks instead."""
    common(monkeypatch, cap=4)
    old = upload_five(actions, docs, clock)
    with app.app_context():                      # the five move into search_chunks
        while pg_merge.merge_batch():
            pass
        db.session().commit()
        assert db.session().scalar(text("SELECT count(*) FROM search_chunks_recent")) == 0
    clock.advance(minutes=1)
    new = actions.upload(docs["implementation_methodology"], filename="n.txt", data="巡检 记录 新的")["id"]
    r = actions.search(q="巡检 记录")
    if not _has_newest_index(app):               # no rum on this server: the GIN path ranks
        assert r["total"] == 6 and r["total_exact"] is True
        return
    assert r["total"] == 4 and r["total_exact"] is False
    assert [h["version_id"] for h in r["hits"]] == [old[3], new, old[4], old[2]]
    monkeypatch.setattr(pg_rum, "WALK", 1)       # too many chunks for this user: ranked, exact
    monkeypatch.setattr(pg_rum, "BATCH", 1)
    r = actions.search(q="巡检 记录")
    assert r["total"] == 6 and r["total_exact"] is True
    assert version_ids(r) == set(old) | {new}


def _has_newest_index(app) -> bool:
    with app.app_context():
        return pg_rum.newest_index()


def test_a_rare_phrase_of_common_words_is_ranked(app, actions, docs, clock, monkeypatch):
    """Both words are in every version, the phrase (typed with a comma: the words apart, not
    the text 记录巡检) in one: its share of the sample is too
    small to walk (every chunk would be read to find it), so it is ranked, exactly."""
    common(monkeypatch, cap=4)
    made = upload_five(actions, docs, clock)
    clock.advance(minutes=1)
    odd = actions.upload(docs["implementation_methodology"], filename="x.txt", data="记录 巡检 倒序")["id"]
    r = actions.search(q='"记录，巡检"')
    assert version_ids(r) == {odd} and r["total"] == 1 and r["total_exact"] is True
    walks = _spy_walks(monkeypatch)
    r = actions.search(q='"记录，巡检"')
    assert walks == [] and r["total"] == 1
    r = actions.search(q="巡检 -倒序")                     # common: the exclusion is checked per version
    assert [h["version_id"] for h in r["hits"]] == [made[3], made[4], made[2], made[1]]
    assert r["total"] == 4 and r["total_exact"] is False and walks == [made[::-1]]
    _analyse(app)                                          # the same by the statistics
    common(monkeypatch, cap=4, statistics=True)
    r = actions.search(q='"记录，巡检"')
    assert version_ids(r) == {odd} and r["total_exact"] is True and len(walks) == 1
    r = actions.search(q="巡检 -倒序")
    assert r["total"] == 4 and r["total_exact"] is False and len(walks) == 2


def _analyse(app) -> None:
    """ANALYZE both chunk tables and forget the app's cached statistics."""
    with app.app_context():
        db.session().execute(text("ANALYZE search_chunks, search_chunks_recent"))
        db.session().commit()
    app.extensions.pop(pg_rum.STATS_KEY, None)


def test_the_walk_keeps_each_users_visibility(app, actions, docs, clock, monkeypatch):
    common(monkeypatch, cap=10)
    made = upload_five(actions, docs, clock)
    with app.app_context():
        while pg_merge.merge_batch():
            pass
        db.session().commit()
    actions.sign_off(made[1])
    walks = _spy_walks(monkeypatch)
    assert version_ids(actions.search("client", q="巡检")) == {made[1]}
    assert version_ids(actions.search("outsider", q="巡检")) == set()
    r = actions.search(q="巡检 记录", limit=2, offset=2)
    assert r["total"] == 5 and [h["version_id"] for h in r["hits"]] == [made[2], made[1]]
    # each of the three was answered by the walk itself (it never gave up to the ranking)
    assert walks == [[made[1]], [], made[::-1]]


def _spy_walks(monkeypatch) -> list:
    """What the newest-first walk (pg_rum._newest_matches) returned, call by call, from now
    on: the version ids it found, or None when it gave up (then the query was ranked)."""
    results, real = [], pg_rum._newest_matches

    def spy(*args):
        found = real(*args)
        results.append(None if found is None else [c.id for c in found])
        return found
    monkeypatch.setattr(pg_rum, "_newest_matches", spy)
    return results


def test_name_chunks_match_as_stored_names_do(app, actions, docs):
    """The file-name test in SQL (pg_rum._in_name, on the name chunk) agrees with
    common.name_matches on the stored names, for the cases that rule's own test lists."""
    from search import common as rule
    from search.engines import postgres_fts
    from search.query_syntax import parse
    names = ["巡检记录.txt", "x 巡检记录.txt", "Test_Plan v2.docx", "计划.txt"]
    ids = {actions.upload(docs[key], filename=n, data="正文")["id"]: n for key, n in zip(docs, names)}
    with app.app_context():
        stored = dict(db.session().execute(text("SELECT version_id, name FROM search_texts")).all())
        for q in ("巡检", '"巡检记录" OR nothing', "巡检 内容", "巡", "test plan", "test pla", "plan v2", "计划"):
            parsed = parse(q)
            common = pg_rum.Common(postgres_fts.every_tsquery(parsed), [], [])
            found = pg_rum._in_name(common, postgres_fts.CHUNKS, list(ids))
            assert found == {v for v in ids if rule.name_matches(parsed, stored[v])}, q


def test_with_statistics_the_rule_is_decided_by_them(app, actions, docs, clock, monkeypatch):
    """After ANALYZE the expected count comes from the planner's statistics (no count is
    made): the common word is walked, a word the statistics put under the threshold ranked."""
    common(monkeypatch, cap=4, threshold=3, statistics=True)
    made = upload_five(actions, docs, clock)
    clock.advance(minutes=1)
    actions.upload(docs["implementation_methodology"], filename="y.txt", data="罕见 说明")
    _analyse(app)
    with app.app_context():
        assert pg_rum.chunk_rows() > 0
    walks = _spy_walks(monkeypatch)
    with _statements(app) as seen:
        r = actions.search(q="巡检")
        assert walks == [made[::-1]] and r["total"] == 4 and r["total_exact"] is False
        assert [h["version_id"] for h in r["hits"]] == [made[3], made[4], made[2], made[1]]
        r = actions.search(q="罕见")
        assert len(walks) == 1 and r["total"] == 1 and r["total_exact"] is True
        r = actions.search(q="巡")                         # a prefix: no statistics of its own, counted
        assert r["total"] == 4 and r["total_exact"] is False and len(walks) == 2
    counts = [c for c in seen if c.startswith("SELECT count(*) AS count_1") and "LIMIT" in c]
    assert len(counts) == 2 and all("'巡':*" in str(seen[c]) for c in counts)  # the prefix's only


@contextmanager
def _statements(app):
    """{statement: [parameters]} of every statement the app's engine runs meanwhile."""
    seen: dict = {}
    engine = app.extensions["handover.db"].kw["bind"]

    def spy(conn, cursor, statement, params, context, many):
        seen.setdefault(statement, []).append(params)
    event.listen(engine, "before_cursor_execute", spy)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", spy)


def test_a_version_split_between_both_tables_is_found_once(app, actions, docs, clock, monkeypatch):
    """A merge batch can end inside a version (its name chunk moved, its body not yet): the
    walk reads both tables and counts the version once."""
    common(monkeypatch, cap=10)
    made = upload_five(actions, docs, clock)
    with app.app_context():
        assert pg_merge.merge_batch(3) == 3               # two chunks of the first, one of the second
        db.session().commit()
        split = db.session().execute(text(
            "SELECT version_id FROM search_chunks INTERSECT SELECT version_id FROM search_chunks_recent")).scalars().all()
        assert split == [made[1]]
    walks = _spy_walks(monkeypatch)
    r = actions.search(q="巡检 记录")
    assert walks == [made[::-1]] and r["total"] == 5
    assert [h["version_id"] for h in r["hits"]] == [made[3], made[4], made[2], made[1], made[0]]


def test_only_the_walk_may_use_the_newest_first_index(app, actions, docs):
    """That index keeps no positions: a phrase counted through it would be checked on every
    candidate's vector. It is partial (NOT past AND version_id > 0), so the planner cannot pick
    it for a plain match of current chunks, even with sequential scans off (only the walk's
    statements say version_id > 0).
    Which index the walk gets depends on the table's size; its answers are the same (the
    tests above)."""
    actions.upload(docs["implementation_methodology"], filename="x.txt", data="巡检 记录")
    with app.app_context():
        while pg_merge.merge_batch():
            pass
        db.session().commit()
        if not pg_rum.newest_index():
            return                                        # no rum on this server: nothing to choose from
        s = db.session()
        s.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(s.execute(text("EXPLAIN SELECT count(*) FROM search_chunks "
                                         "WHERE NOT past AND tsv @@ '''巡检'' <-> ''记录'''::tsquery")).scalars())
        assert "ix_search_chunks_rum" in plan and pg_rum.NEWEST not in plan
        s.rollback()
