"""Tantivy engine (HANDOVER_SEARCH=tantivy): the same bigram analysis, index in
$HANDOVER_DATA/tantivy.

Terms: the fields `name` and `body` hold search.analysis.index_text (the analysed terms
joined by spaces) under tantivy's whitespace tokenizer, so the index has exactly the
terms and positions of every other engine (CJK bigrams included); queries are built
from the AST (search.query_syntax) with tantivy's query objects, never its parser.

Only committed data is indexed. index()/remove() only note the version id in the
session (session.info); once the database transaction commits, the ids are synced from
the committed rows (read with a fresh session: a row that is gone is deleted from the
index, a row that is there replaces the indexed one). A rollback forgets them. A rebuild
(`flask search reindex`: clear, index(bulk=True), finish_bulk) likewise runs after the
commit, from the committed texts, into the same index: searches see the old index until
the rebuilt one is committed.

One writer: tantivy holds a lock file while an IndexWriter is open, across processes
(several gunicorn workers, the background worker, the CLI). Each sync takes a process
lock, then opens the writer, retrying while another process holds it (up to
WRITE_TIMEOUT), reads the committed rows, writes, commits and closes the writer (after
its merges), so each process's syncs happen in order and a sync never writes an older
text over a newer one. A sync that cannot write (lock timeout, error) appends its ids to
$HANDOVER_DATA/tantivy.pending (flock'd); every writer drains that file first and a
writer that finds it non-empty after closing tries once more, so nothing is left behind
while the application runs (a process killed between the database commit and its sync
leaves the index behind until the next `flask search reindex`).

Search: the ids the user may see under the filters (search.scope.visible_versions, one
database query) become a term-set clause inside the tantivy query, so tantivy's count is
the exact total and its top-k the page; ties in score are ordered newest first (fast
fields `created`, `version_id`), fetching past the page while the boundary score ties.
Readers reload when meta.json changes (a stat per search), so a commit by any process is
visible to the next search.
"""
from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import tantivy
from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from core import db
from deliverables.models import Version
from search.analysis import index_text
from search.models import SearchText
from search.query_syntax import AnyOf, Leaf, Query
from search.scope import visible_versions

log = logging.getLogger("handover.search")

SCHEMA_VERSION = "1"  # bump when schema() changes: the index is then rebuilt empty (reindex fills it)
NAME_BOOST = 2.0
WRITE_TIMEOUT = 30.0
WRITER_HEAP = 32_000_000
BULK_HEAP = 200_000_000
READ_BATCH = 500
WRITE_LOCK = threading.RLock()
_PENDING = "handover.tantivy_pending"   # session.info: version ids to sync after commit
_REBUILD = "handover.tantivy_rebuild"   # session.info: "cleared" (reindex running) / "armed" (finish_bulk)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_open: dict[tuple[int, str], "_Handle"] = {}
_open_lock = threading.Lock()


class WriterBusy(Exception):
    """Another process kept the index's writer lock past WRITE_TIMEOUT."""


def schema() -> tantivy.Schema:
    b = tantivy.SchemaBuilder()
    b.add_unsigned_field("version_id", stored=True, indexed=True, fast=True)
    b.add_integer_field("created", fast=True)
    b.add_text_field("name", tokenizer_name="whitespace", index_option="position")
    b.add_text_field("body", tokenizer_name="whitespace", index_option="position")
    return b.build()


def index_dir(app=None) -> Path:
    return Path((app or current_app).config["HANDOVER_DATA"]) / "tantivy"


def _pending_file(path: Path) -> Path:
    return path.parent / "tantivy.pending"


class _Handle:
    """An open index of one process, its schema, and the meta.json it last loaded."""

    def __init__(self, path: Path):
        self.path = path
        self.index = tantivy.Index.open(str(path))
        self.index.config_reader(reload_policy="Manual")
        self.schema = self.index.schema
        self.stamp = None
        self.lock = threading.Lock()

    def searcher(self) -> tantivy.Searcher:
        """A searcher of the newest commit, whichever process made it."""
        try:
            st = (self.path / "meta.json").stat()
            stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = None
        if stamp != self.stamp:
            with self.lock:
                if stamp != self.stamp:
                    self.index.reload()
                    self.stamp = stamp
        return self.index.searcher()


def _create(path: Path) -> None:
    """A new empty index in `path` (replacing whatever is there), marked with SCHEMA_VERSION."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    tantivy.Index(schema(), path=str(path), reuse=False)
    (path / "handover-schema").write_text(SCHEMA_VERSION)


def _current(path: Path) -> bool:
    try:
        return (path / "handover-schema").read_text() == SCHEMA_VERSION and tantivy.Index.exists(str(path))
    except OSError:
        return False


def open_index(app=None) -> _Handle:
    """This process's handle on the index, created empty when missing or of an older schema."""
    path = index_dir(app)
    key = (os.getpid(), str(path))
    h = _open.get(key)
    if h is not None and (path / "handover-schema").exists():
        return h
    with _open_lock:
        if not _current(path):
            with WRITE_LOCK, _dir_lock(path):
                if not _current(path):
                    if path.exists():
                        log.warning("tantivy index at %s is of another schema: emptied; run `flask search reindex`",
                                    path)
                    _create(path)
        h = _open[key] = _Handle(path)
        return h


class _dir_lock:
    """flock on $HANDOVER_DATA/tantivy.create: one process (re)creates the folder at a time."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.file = path.parent / "tantivy.create"

    def __enter__(self):
        self.fd = os.open(self.file, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


# ---- writes: noted in the session, synced after commit -------------------------------------

def index(version, name: str, body: str, bulk: bool = False) -> None:
    """Index `version` once the transaction commits (a rebuild in progress covers it)."""
    s = db.session()
    if bulk and s.info.get(_REBUILD):
        return
    _note(s, version.id)


def index_many(entries) -> None:
    s = db.session()
    for version, _name, _body in entries:
        _note(s, version.id)


def remove(version_id: int) -> None:
    """Drop `version_id` from the index once the transaction commits (if its text is gone then)."""
    _note(db.session(), version_id)


def clear() -> None:
    """Start a rebuild: the bulk index() calls that follow need no work of their own, since
    finish_bulk rebuilds the whole index from the committed texts after the commit."""
    s = db.session()
    s.info[_REBUILD] = "cleared"
    _listen(s)


def finish_bulk() -> None:
    s = db.session()
    if s.info.get(_REBUILD):
        s.info[_REBUILD] = "armed"
        _listen(s)


def abort_bulk() -> None:
    db.session().info.pop(_REBUILD, None)


def _note(s: Session, version_id: int) -> None:
    s.info.setdefault(_PENDING, set()).add(int(version_id))
    _listen(s)


def _listen(s: Session) -> None:
    if not event.contains(s, "after_commit", _after_commit):
        event.listen(s, "after_commit", _after_commit)
        event.listen(s, "after_rollback", _after_rollback)


def _after_rollback(session) -> None:
    """A rollback of the whole transaction forgets its writes. A savepoint's rollback keeps
    them: syncing an id whose row was rolled back only confirms it is not in the index."""
    if not session.in_nested_transaction():
        session.info.pop(_PENDING, None)
        session.info.pop(_REBUILD, None)


def _after_commit(session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the transaction is still open
        return
    ids = session.info.pop(_PENDING, set())
    rebuild = session.info.get(_REBUILD) == "armed"
    if rebuild:
        session.info.pop(_REBUILD, None)
    if not ids and not rebuild:
        return
    app = current_app._get_current_object()
    if rebuild:  # the caller (CLI, bench) asked for it and waits: failures reach it
        sync(app, rebuild=True)
        _retry_pending(app)
        return
    try:
        sync(app, ids)
    except Exception as exc:  # the database is committed: never fail the request for the index
        log.log(logging.WARNING if isinstance(exc, WriterBusy) else logging.ERROR,
                "tantivy: versions %s not indexed now (%s); queued in tantivy.pending", sorted(ids)[:20], exc,
                exc_info=not isinstance(exc, WriterBusy))
        _append_pending(index_dir(app), ids)
        return
    _retry_pending(app)


def sync(app, ids=(), rebuild: bool = False, timeout: float | None = None) -> int:
    """Make the index equal the committed rows for `ids` (and the pending file's ids), or for
    every version when `rebuild`. Returns the number of documents written. Waits up to
    `timeout` (default WRITE_TIMEOUT) for the writer lock, then raises WriterBusy."""
    timeout = WRITE_TIMEOUT if timeout is None else timeout
    h = open_index(app)
    path = h.path
    with WRITE_LOCK:
        if rebuild and not _current(path):
            with _dir_lock(path):
                _create(path)
            _open.pop((os.getpid(), str(path)), None)
            h = open_index(app)
        writer = _writer(h.index, BULK_HEAP if rebuild else WRITER_HEAP, timeout)
        drained: set[int] = set()
        try:
            drained = _drain_pending(path)
            todo = set(ids) | drained
            engine = app.extensions["handover.db"].kw["bind"]
            with Session(bind=engine) as s:
                if rebuild:
                    writer.delete_all_documents()
                    n = _write(writer, s, None)
                else:
                    ids_sorted = sorted(todo)
                    n = 0
                    for i in range(0, len(ids_sorted), READ_BATCH):
                        batch = ids_sorted[i:i + READ_BATCH]
                        # By query: delete_documents_by_term with an int misses a u64 field's terms.
                        writer.delete_documents_by_query(tantivy.Query.term_set_query(h.schema, "version_id", batch))
                        n += _write(writer, s, batch)
            writer.commit()
        except BaseException:
            try:
                writer.rollback()
            finally:
                writer.wait_merging_threads()
            _append_pending(path, drained)  # the caller re-queues its own ids
            raise
        writer.wait_merging_threads()  # lets this commit's merges finish, then releases the lock
    return n


def _write(writer, s: Session, ids) -> int:
    """Add the committed (version, text) rows of `ids` (all when None) to `writer`."""
    stmt = (select(Version.id, Version.created_at, SearchText.name, SearchText.body)
            .join(SearchText, SearchText.version_id == Version.id))
    if ids is not None:
        stmt = stmt.where(Version.id.in_(ids))
    n = 0
    for vid, created, name, body in s.execute(stmt.execution_options(yield_per=READ_BATCH)):
        doc = tantivy.Document()
        doc.add_unsigned("version_id", vid)
        doc.add_integer("created", _micros(created))
        doc.add_text("name", index_text(name or ""))
        doc.add_text("body", index_text(body or ""))
        writer.add_document(doc)
        n += 1
    return n


def _micros(dt: datetime) -> int:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return (dt - _EPOCH) // timedelta(microseconds=1)


def _writer(ix: tantivy.Index, heap: int, timeout: float):
    """tantivy's IndexWriter, retried while another process holds the index's lock."""
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        try:
            return ix.writer(heap_size=heap, num_threads=1)
        except ValueError as exc:
            if "LockBusy" not in str(exc):
                raise
            if time.monotonic() >= deadline:
                raise WriterBusy(f"tantivy index writer busy for {timeout:.0f} s") from exc
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


def _append_pending(path: Path, ids) -> None:
    if not ids:
        return
    f = _pending_file(path)
    f.parent.mkdir(parents=True, exist_ok=True)
    with open(f, "a", encoding="ascii") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.write("".join(f"{i}\n" for i in sorted(ids)))
        fh.flush()
        fcntl.flock(fh, fcntl.LOCK_UN)


def _drain_pending(path: Path) -> set[int]:
    f = _pending_file(path)
    if not f.exists():
        return set()
    with open(f, "r+", encoding="ascii") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        ids = {int(x) for x in fh.read().split() if x.isdigit()}
        fh.seek(0)
        fh.truncate()
        fcntl.flock(fh, fcntl.LOCK_UN)
    return ids


def _retry_pending(app) -> None:
    """After a sync: ids another process queued while this one held the lock, synced now."""
    f = _pending_file(index_dir(app))
    try:
        if not f.exists() or f.stat().st_size == 0:
            return
        sync(app, (), timeout=0)
    except Exception:  # still busy: the process holding the writer drains the file
        log.info("tantivy: pending versions left for the next writer")


# ---- search ----------------------------------------------------------------------------------

def _leaf_query(leaf: Leaf, sch) -> tantivy.Query:
    Q = tantivy.Query
    alts = []
    for field, boost in (("name", NAME_BOOST), ("body", 1.0)):
        terms = list(leaf.terms)
        if leaf.prefix and len(terms) == 1:
            q = Q.regex_query(sch, field, re.escape(terms[0]) + ".*")
        elif leaf.prefix:
            q = Q.regex_phrase_query(sch, field, [re.escape(t) for t in terms[:-1]] + [re.escape(terms[-1]) + ".*"])
        elif len(terms) == 1:
            q = Q.term_query(sch, field, terms[0])
        else:
            q = Q.phrase_query(sch, field, terms)
        alts.append(Q.boost_query(q, boost) if boost != 1.0 else q)
    return Q.boolean_query([(tantivy.Occur.Should, a) for a in alts])


def compile_query(q: Query, sch) -> tantivy.Query:
    """The AST as a tantivy query: every required node Must, every excluded leaf MustNot."""
    clauses = []
    for node in q.required:
        leaves = node.leaves if isinstance(node, AnyOf) else [node]
        sub = [_leaf_query(l, sch) for l in leaves]
        clauses.append((tantivy.Occur.Must, sub[0] if len(sub) == 1 else
                        tantivy.Query.boolean_query([(tantivy.Occur.Should, x) for x in sub])))
    for leaf in q.excluded:
        clauses.append((tantivy.Occur.MustNot, _leaf_query(leaf, sch)))
    return tantivy.Query.boolean_query(clauses)


def search(user, q: Query, filters, limit: int, offset: int, all_versions: bool):
    """(total, [(version_id, score)]): the text query AND the visible, filtered ids, in tantivy."""
    visible = list(db.session().scalars(visible_versions(user, filters, all_versions).with_only_columns(Version.id)))
    if not visible:
        return 0, []
    h = open_index()
    searcher = h.searcher()
    scope = tantivy.Query.const_score_query(tantivy.Query.term_set_query(h.schema, "version_id", visible), 0.0)
    full = tantivy.Query.boolean_query([(tantivy.Occur.Must, compile_query(q, h.schema)),
                                        (tantivy.Occur.Must, scope)])
    need = offset + limit
    if need == 0:
        return searcher.search(full, limit=1, count=True).count, []
    k = need + 1
    if k > 1000:  # a deep page: count first, so the top-k heap is never larger than the matches
        total = searcher.search(full, limit=1, count=True).count
        if offset >= total:
            return total, []
        k = min(k, total)
    while True:
        res = searcher.search(full, limit=k, count=True)
        hits = res.hits
        # Stop once every hit scoring like the page's last one is fetched.
        if len(hits) < k or len(hits) <= need or hits[-1][0] < hits[need - 1][0]:
            break
        k *= 4
    total = res.count
    if offset >= len(hits):
        return total, []
    addrs = [a for _s, a in hits]
    vids = searcher.fast_field_values("version_id", addrs)
    created = searcher.fast_field_values("created", addrs)
    rows = sorted(zip((s for s, _a in hits), created, vids), key=lambda r: (-r[0], -(r[1] or 0), -r[2]))
    return total, [(vid, score) for score, _c, vid in rows[offset:need]]
