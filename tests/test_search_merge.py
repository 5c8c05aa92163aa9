"""PostgreSQL search chunks: written to search_chunks_recent, moved into search_chunks by the
worker's search_merge job (search/engines/pg_merge.py, migration 0014). Moving changes no
result; two workers moving at once lose and double nothing; a removed version leaves both
tables. PostgreSQL only (SQLite's FTS5 index has no recent table): where PostgreSQL is absent,
these tests are not collected with a backend."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from conftest import BACKENDS
from core import db
from search.engines import pg_merge

PG = [b for b in BACKENDS if b == "postgresql"]
WORDS = ["巡检", "巡检记录", "网关告警", "巡检 网关", '"巡检记录"', "备份", "告警 -备份"]


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        s = db.session()
        return (s.scalar(text("SELECT count(*) FROM search_chunks_recent")),
                s.scalar(text("SELECT count(*) FROM search_chunks")))


def _answers(actions) -> list:
    """Every query's total and hit order, first and second page."""
    out = []
    for q in WORDS:
        for offset in (0, 3):
            r = actions.search(q=q, limit=3, offset=offset)
            out.append((q, offset, r["total"], [h["version_id"] for h in r["hits"]]))
    return out


@pytest.fixture(params=PG)
def backend(request) -> str:
    """This module's backend: PostgreSQL only."""
    return request.param


@pytest.fixture
def uploaded(actions):
    docs = actions.deliverables()
    keys = list(docs)[:6]
    texts = ["巡检记录：网关告警三次，备份正常。" * (i + 1) + "巡检" * i for i in range(12)]
    for i, body in enumerate(texts):
        actions.upload(docs[keys[i % len(keys)]], body + f" 第{i}份", f"巡检-{i}.md")
    return docs


def test_merge_moves_every_chunk_and_changes_no_answer(app, actions, uploaded, runner):
    recent, main = _counts(app)
    assert recent > 0 and main == 0, "uploads write to the recent table"
    out = runner.invoke(args=["search", "status"])
    assert f"chunks waiting for the search_merge job: {recent}" in out.output
    before = _answers(actions)
    with app.app_context():
        moved = pg_merge.merge_batch(recent // 2)  # part of them: both tables hold chunks
        db.session().commit()
    assert moved == recent // 2 and _counts(app) == (recent - moved, moved)
    assert _answers(actions) == before
    with app.app_context():
        assert pg_merge.job() == {"moved": recent - moved, "marked": 0, "left": 0}
    assert _counts(app) == (0, recent)
    assert _answers(actions) == before


def test_two_workers_merging_at_once_lose_and_double_nothing(app, actions, uploaded):
    recent, _ = _counts(app)
    with app.app_context():
        keys_before = sorted(db.session().execute(text(
            "SELECT version_id, chunk, md5(tsv::text) FROM search_chunks_recent")).all())
    moved, errors = [], []
    barrier = threading.Barrier(2)

    def worker():
        try:
            with app.app_context():
                barrier.wait()
                moved.append(pg_merge.merge(batch=3))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and sum(moved) == recent
    assert _counts(app) == (0, recent)
    with app.app_context():
        keys_after = sorted(db.session().execute(text(
            "SELECT version_id, chunk, md5(tsv::text) FROM search_chunks")).all())
    assert keys_after == keys_before


def test_removed_version_leaves_both_tables(app, actions, uploaded):
    from search.engines import postgres_fts
    with app.app_context():
        s = db.session()
        vid = s.scalar(text("SELECT min(version_id) FROM search_chunks_recent"))
        pg_merge.merge_batch(1)  # the version's file-name chunk moves, its body chunk stays
        s.commit()
        where = {"v": vid}
        assert s.scalar(text("SELECT count(*) FROM search_chunks WHERE version_id = :v"), where) == 1
        assert s.scalar(text("SELECT count(*) FROM search_chunks_recent WHERE version_id = :v"), where) >= 1
        postgres_fts.remove(vid)
        s.commit()
        assert s.scalar(text("SELECT count(*) FROM search_chunks_all WHERE version_id = :v"), where) == 0


def test_merge_job_is_a_periodic_worker_job(app):
    assert pg_merge.JOB in app.extensions["huey_tasks"]


def _shape(app) -> dict:
    """What the rebuild must keep: the main table's index definitions (partial ones included) and
    foreign key, and both views over the two tables (pg_current)."""
    with app.app_context():
        s = db.session()
        return {"indexes": sorted(s.execute(text(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'search_chunks'")).all()),
                "fk": s.execute(text(
                    "SELECT conname, confdeltype, confrelid::regclass::text FROM pg_constraint "
                    "WHERE conrelid = 'search_chunks'::regclass AND contype = 'f'")).all(),
                "views": s.execute(text("SELECT viewname, definition FROM pg_views "
                                        "WHERE viewname LIKE 'search_chunks%' ORDER BY viewname")).all()}


def test_bulk_merge_rebuilds_the_table_and_changes_no_answer(app, actions, uploaded, monkeypatch):
    """A large recent table is moved by a rebuild: every chunk ends in search_chunks once, with
    the same bytes; indexes (RUM or GIN), constraint names, the foreign key and the view are as
    before, the recent table is vacuumed, and search answers and later uploads and merges work
    as before."""
    with app.app_context():
        pg_merge.merge_batch(5)  # both tables hold chunks: the rebuild must keep the main ones
        db.session().commit()
        keys_before = sorted(db.session().execute(text(
            "SELECT version_id, chunk, md5(tsv::text) FROM search_chunks_all")).all())
    shape, before = _shape(app), _answers(actions)
    assert any(c[1] == "c" for c in shape["fk"]), "search_chunks cascades from versions"
    monkeypatch.setattr(pg_merge, "BULK_MIN", 1)
    with app.app_context():
        assert pg_merge.wants_bulk()
        assert pg_merge.job() == {"moved": len(keys_before) - 5, "marked": 0, "left": 0}
        keys_after = sorted(db.session().execute(text(
            "SELECT version_id, chunk, md5(tsv::text) FROM search_chunks")).all())
    assert keys_after == keys_before and _counts(app) == (0, len(keys_before))
    assert _shape(app) == shape
    with app.app_context():  # the moved rows are vacuumed away (vacuum_recent), not left to autovacuum
        assert db.session().scalar(text("SELECT last_vacuum IS NOT NULL AND last_analyze IS NOT NULL "
                                        "FROM pg_stat_user_tables WHERE relname = 'search_chunks_recent'"))
    assert _answers(actions) == before
    docs = uploaded
    v = actions.upload(docs[list(docs)[0]], "巡检记录：重建之后的新版本", "重建后.md")
    assert actions.search(q="重建之后")["total"] == 1
    monkeypatch.setattr(pg_merge, "BULK_MIN", 10**9)
    with app.app_context():
        assert pg_merge.job()["left"] == 0  # the batch move still works on the rebuilt table
        s = db.session()
        assert s.scalar(text("SELECT count(*) FROM search_chunks WHERE version_id = :v"),
                        {"v": v["id"]}) >= 1
    assert actions.search(q="重建之后")["total"] == 1


def test_chunks_written_during_a_bulk_merge_wait_for_the_next_run(app, actions, uploaded):
    """While a rebuild builds its table (the long part) an upload is not blocked and keeps its
    chunks in the recent table, and readers get the answers of before; after the swap nothing
    is lost or doubled."""
    recent, _ = _counts(app)
    before = _answers(actions)
    opened, upload_done, errors = threading.Event(), threading.Event(), []

    def rebuild():
        try:
            with app.app_context():
                _, indexes = pg_merge._build_next()
                opened.set()
                upload_done.wait(60)
                pg_merge._swap_in(indexes)
                db.session().commit()
                pg_merge.validate_foreign_key()
                db.session().commit()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
            opened.set()

    t = threading.Thread(target=rebuild)
    t.start()
    assert opened.wait(60) and not errors
    assert _answers(actions) == before
    docs = uploaded
    v = actions.upload(docs[list(docs)[8]], "重建进行中上传的交付文件", "重建中.md")  # not one of uploaded's
    upload_done.set()
    t.join(60)
    assert not errors
    with app.app_context():
        s = db.session()
        assert s.scalar(text("SELECT count(*) FROM search_chunks_recent")) == s.scalar(text(
            "SELECT count(*) FROM search_chunks_recent WHERE version_id = :v"), {"v": v["id"]}) > 0
    assert _counts(app)[1] == recent
    assert actions.search(q="重建进行中")["total"] == 1
    assert _answers(actions) == before
    assert _shape(app)["fk"] and all(_valid_fks(app))


def _valid_fks(app) -> list[bool]:
    with app.app_context():
        return list(db.session().scalars(text("SELECT convalidated FROM pg_constraint WHERE "
                                              "conrelid = 'search_chunks'::regclass AND contype = 'f'")))
