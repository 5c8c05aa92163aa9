"""The tantivy engine's own guarantees (the engine suite in test_search_engines.py covers
what every engine does): only committed versions reach the index, a busy writer never
fails an upload and the index catches up, and several processes write one index."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import tantivy
from sqlalchemy import select

from core import db
from core.models import User
from core.storage import store_bytes
from deliverables.models import Deliverable
from deliverables.versions import add_version
from processes import wait_for
from search.engines import tantivy_engine
from search_support import version_ids

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def tantivy_app(app):
    app.config["HANDOVER_SEARCH"] = "tantivy"
    return app


def indexed(app) -> set[int]:
    """The version ids in the index now, read from the index itself."""
    with app.app_context():
        h = tantivy_engine.open_index()
        searcher = h.searcher()
        hits = searcher.search(tantivy.Query.all_query(), limit=10_000).hits
        return set(searcher.fast_field_values("version_id", [a for _s, a in hits]))


def pending_ids(app) -> list[int]:
    """Version ids queued in $HANDOVER_DATA/tantivy.pending by syncs that could not write."""
    f = Path(app.config["HANDOVER_DATA"]) / "tantivy.pending"
    return [int(x) for x in f.read_text().split()] if f.exists() else []


def _add(deliverable_id: int, text: str, filename: str):
    """A version added in-process by the upload operation, in the current transaction."""
    s = db.session()
    engineer = s.scalar(select(User).where(User.username == "engineer"))
    return add_version(engineer, s.get(Deliverable, deliverable_id), store_bytes(text.encode("utf-8")), filename)


def test_only_committed_versions_reach_the_index(tantivy_app, actions):
    app = tantivy_app
    docs = actions.deliverables()
    with app.app_context():
        v = _add(docs["system_design"], "回滚的版本不应被索引", "rolled.md")
        rolled = v.id
        db.session().flush()
        assert rolled not in indexed(app)          # written in the transaction: not yet
        db.session().rollback()
    assert rolled not in indexed(app)
    assert version_ids(actions.search(q="回滚")) == set()
    with app.app_context():
        s = db.session()
        kept = _add(docs["test_report"], "提交后可检索", "kept.md").id
        sp = s.begin_nested()
        inner = _add(docs["master_plan"], "保存点内回滚", "inner.md").id
        sp.rollback()                              # a savepoint rolled back, the transaction goes on
        assert kept not in indexed(app)            # a savepoint is not a commit
        s.commit()
    assert kept in indexed(app) and inner not in indexed(app)
    assert version_ids(actions.search(q="检索")) == {kept}
    assert version_ids(actions.search(q="保存点")) == set()


HOLD = textwrap.dedent("""
    import sys, tantivy
    ix = tantivy.Index.open(sys.argv[1])
    w = ix.writer(heap_size=15_000_000, num_threads=1)
    print("holding", flush=True)
    sys.stdin.read()
    w.wait_merging_threads()
""")


def _hold_writer(app) -> subprocess.Popen:
    """Another process holding the index's writer lock until its stdin closes."""
    with app.app_context():
        path = tantivy_engine.open_index().path
    p = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "holding"
    return p


def test_busy_writer_never_fails_an_upload_and_the_index_catches_up(tantivy_app, actions, monkeypatch):
    app = tantivy_app
    docs = actions.deliverables()
    monkeypatch.setattr(tantivy_engine, "WRITE_TIMEOUT", 0.3)
    holder = _hold_writer(app)
    try:
        a = actions.upload(docs["system_design"], filename="a.md", data="锁被占用时上传")["id"]  # 201
        assert version_ids(actions.search(q="占用")) == set()
        assert pending_ids(app) == [a]
    finally:
        holder.stdin.close()
        assert holder.wait(timeout=30) == 0
    b = actions.upload(docs["master_plan"], filename="b.md", data="锁释放后上传")["id"]
    assert version_ids(actions.search(q="上传")) == {a, b}     # the next writer drained the queue
    assert pending_ids(app) == []


def test_a_writer_waits_for_the_lock(tantivy_app, actions, monkeypatch):
    """Within WRITE_TIMEOUT a sync waits for another process's writer, then writes."""
    app = tantivy_app
    docs = actions.deliverables()
    holder = _hold_writer(app)
    waits = []

    def released_while_waiting(seconds: float) -> None:
        # The upload met the busy lock and waits: the other process lets go now (no timing guess).
        if not waits:
            holder.stdin.close()
            assert holder.wait(timeout=30) == 0
        waits.append(seconds)
        time.sleep(seconds)

    monkeypatch.setattr(tantivy_engine, "time", SimpleNamespace(monotonic=time.monotonic,
                                                                sleep=released_while_waiting))
    a = actions.upload(docs["system_design"], filename="a.md", data="等待写锁")["id"]
    assert waits  # it did wait for the lock
    assert holder.wait(timeout=30) == 0
    assert version_ids(actions.search(q="写锁")) == {a}
    assert pending_ids(app) == []


WRITER = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, sys.argv[1])
    from sqlalchemy import select
    from app import create_app
    from core import db
    from core.models import User
    from core.storage import store_bytes
    from deliverables.models import Deliverable
    from deliverables.versions import add_version
    cfg = json.loads(sys.argv[2])
    app = create_app({**cfg, "HANDOVER_SEARCH": "tantivy", "SECRET_KEY": "t"})
    made = []
    for i in range(int(sys.argv[3])):
        with app.app_context():
            s = db.session()
            u = s.scalar(select(User).where(User.username == "engineer"))
            d = s.get(Deliverable, int(sys.argv[4]))
            made.append(add_version(u, d, store_bytes(f"并发写入 其他进程 {i}".encode()), f"p{i}.md").id)
            s.commit()
    print(json.dumps(made), flush=True)
""")


def test_two_processes_write_one_index(tantivy_app, actions):
    """Another process commits uploads while this one does: every version is in the index
    once, and this process's searches see the other's commits without a restart."""
    app = tantivy_app
    docs = actions.deliverables()
    first = actions.upload(docs["test_report"], filename="first.md", data="并发写入 本进程 起始")["id"]
    assert version_ids(actions.search(q="并发")) == {first}  # this process has the index open now
    cfg = json.dumps({"HANDOVER_DATA": app.config["HANDOVER_DATA"], "DATABASE_URL": app.config["DATABASE_URL"]})
    n = 8
    other = subprocess.Popen([sys.executable, "-c", WRITER, str(ROOT), cfg, str(n), str(docs["system_design"])], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=dict(os.environ, PYTHONPATH=str(ROOT)))
    mine = [actions.upload(docs["master_plan"], filename=f"m{i}.md", data=f"并发写入 本进程 {i}")["id"]
            for i in range(n)]
    out, err = other.communicate(timeout=300)
    assert other.returncode == 0, err[-2000:]
    theirs = json.loads(out.strip().splitlines()[-1])
    everything = {first, *mine, *theirs}
    assert wait_for(lambda: indexed(app) == everything, seconds=10) == True  # noqa: E712
    r = actions.search("admin", q="并发写入", all_versions=1, limit=100)
    assert r["total"] == len(everything) and version_ids(r) == everything
    assert version_ids(actions.search("admin", q="其他进程", all_versions=1, limit=100)) == set(theirs)


def test_reindex_drops_what_the_database_no_longer_has(tantivy_app, actions, runner):
    app = tantivy_app
    docs = actions.deliverables()
    v = actions.upload(docs["system_design"], filename="a.md", data="重建索引")["id"]
    with app.app_context():  # a stray document (a version the database does not have)
        ix = tantivy_engine.open_index().index
        w = ix.writer(heap_size=15_000_000, num_threads=1)
        doc = tantivy.Document()
        doc.add_unsigned("version_id", 999_999)
        doc.add_integer("created", 0)
        doc.add_text("name", "stray")
        doc.add_text("body", "重建 建索 索引 引")
        w.add_document(doc)
        w.commit()
        w.wait_merging_threads()
    assert indexed(app) == {v, 999_999}
    result = runner.invoke(args=["search", "reindex", "--engine", "tantivy"])
    assert result.exit_code == 0, result.output
    assert "reindexed 1 versions (tantivy)" in result.output
    assert indexed(app) == {v}
    assert version_ids(actions.search(q="索引")) == {v}


def test_ties_are_ordered_newest_first_across_pages(tantivy_app, actions, clock):
    """Equal scores: newest first on every page (tantivy's top-k is cut only where the score
    changes), the same order as one big page; a page past the end is empty with the total."""
    docs = actions.deliverables()
    keys = sorted(docs)[:12]
    made = []
    for i, k in enumerate(keys):
        clock.advance(minutes=1)
        made.append(actions.upload(docs[k], filename=f"t{i}.txt", data="同分 排序")["id"])
    newest_first = made[::-1]
    assert [h["version_id"] for h in actions.search(q="同分", limit=12)["hits"]] == newest_first
    paged = [h["version_id"] for off in range(0, 12, 5)
             for h in actions.search(q="同分", limit=5, offset=off)["hits"]]
    assert paged == newest_first
    far = actions.search(q="同分", limit=5, offset=999_999)
    assert far["total"] == 12 and far["hits"] == []


def test_a_new_text_replaces_the_indexed_one(tantivy_app, actions):
    """A version's text stored again (what the OCR worker does: search.index_version on an
    existing version) leaves one document, with the new text, once committed."""
    import search  # the facade, as the worker calls it
    from deliverables.models import Version
    from search.ocr import RECOGNISED
    from search.sandbox import Extraction
    app = tantivy_app
    docs = actions.deliverables()
    v = actions.upload(docs["system_design"], filename="scan.md", data="旧的文字")["id"]
    with app.app_context():
        search.index_version(db.session().get(Version, v), Extraction(RECOGNISED, "识别出的新文字"))
        assert version_ids(actions.search(q="识别")) == set()   # not committed yet
        db.session().commit()
    with app.app_context():
        searcher = tantivy_engine.open_index().searcher()
        assert searcher.num_docs == 1
    assert version_ids(actions.search(q="识别")) == {v}
    assert version_ids(actions.search(q="旧的")) == set()
    assert actions.search(q="文字")["total"] == 1
