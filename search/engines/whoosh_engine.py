"""Whoosh engine (HANDOVER_SEARCH=whoosh): the same bigram analysis, index in
$HANDOVER_DATA/whoosh.

One writer at a time: a process-wide lock around Whoosh's own lock file; a busy index
is retried (never an error to the user). Whoosh is not part of the database
transaction: a version whose upload rolled back may stay in the index, but every hit is
checked against the database (visibility, filters, latest) so it is never returned,
and `flask search reindex` cleans it. project_id, phase and document_key are stored
and filtered in the Whoosh query as well.
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from whoosh import index as windex
from whoosh import query as wq
from whoosh.analysis import Token, Tokenizer
from whoosh.fields import ID, TEXT, Schema
from whoosh.index import LockError

from core import db
from deliverables.models import Deliverable
from search.analysis import fold, run_tokens, runs
from search.query_syntax import AnyOf, Leaf, Query
from search.scope import visible_versions

log = logging.getLogger("handover.search")
WRITE_LOCK = threading.RLock()
WRITE_TIMEOUT = 120.0
MAX_EXPANSION = 200
_bulk: dict[str, object] = {}


class BigramTokenizer(Tokenizer):
    """search.analysis.tokens as a Whoosh tokenizer (positions and character offsets)."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        for r in runs(fold(value)):
            for term in run_tokens(r):
                t.text = term
                t.boost = 1.0
                if positions:
                    t.pos = pos
                if chars:
                    t.startchar = start_char + r.start
                    t.endchar = start_char + r.start + len(r.text)
                pos += 1
                yield t


def schema() -> Schema:
    analyzer = BigramTokenizer()
    return Schema(version_id=ID(stored=True, unique=True, sortable=True), project_id=ID(stored=True),
                  phase=ID(stored=True), document_key=ID(stored=True),
                  name=TEXT(analyzer=analyzer, phrase=True, field_boost=2.0),
                  body=TEXT(analyzer=analyzer, phrase=True))


def index_dir() -> Path:
    return Path(current_app.config["HANDOVER_DATA"]) / "whoosh"


def open_index():
    path = index_dir()
    if not windex.exists_in(str(path)):
        with WRITE_LOCK:
            path.mkdir(parents=True, exist_ok=True)
            if not windex.exists_in(str(path)):
                windex.create_in(str(path), schema())
    return windex.open_dir(str(path))


def _writer(ix, **kw):
    """Whoosh's writer, retried while another process or thread holds the lock."""
    deadline = time.monotonic() + WRITE_TIMEOUT
    delay = 0.02
    while True:
        try:
            return ix.writer(**kw)
        except LockError:
            if time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


def _doc(version, name: str, body: str) -> dict:
    d = version.deliverable if hasattr(version, "deliverable") else None
    d = d or db.session().get(Deliverable, version.deliverable_id)
    return {"version_id": str(version.id), "project_id": str(d.project_id), "phase": d.phase,
            "document_key": d.document_key, "name": name, "body": body}


def index(version, name: str, body: str, bulk: bool = False) -> None:
    doc = _doc(version, name, body)
    key = str(index_dir())
    if bulk and key in _bulk:
        _bulk[key].add_document(**doc)
        return
    try:
        with WRITE_LOCK:
            w = _writer(open_index())
            try:
                w.update_document(**doc)
                w.commit()
            except BaseException:
                w.cancel()
                raise
    except LockError:  # the database stays right; `flask search reindex` repairs the index
        log.error("whoosh index busy for %.0f s; version %s not indexed", WRITE_TIMEOUT, version.id)


def remove(version_id: int) -> None:
    with WRITE_LOCK:
        w = _writer(open_index())
        w.delete_by_term("version_id", str(version_id))
        w.commit()


def clear() -> None:
    """Start a fresh index and keep one writer open until finish_bulk (reindex)."""
    path = index_dir()
    path.mkdir(parents=True, exist_ok=True)
    WRITE_LOCK.acquire()
    ix = windex.create_in(str(path), schema())
    _bulk[str(path)] = _writer(ix, limitmb=256)


def finish_bulk() -> None:
    w = _bulk.pop(str(index_dir()), None)
    if w is not None:
        try:
            w.commit(optimize=True)
        finally:
            WRITE_LOCK.release()


def abort_bulk() -> None:
    w = _bulk.pop(str(index_dir()), None)
    if w is not None:
        try:
            w.cancel()
        finally:
            WRITE_LOCK.release()


def _leaf_query(leaf: Leaf, reader) -> wq.Query:
    alts = []
    for field in ("name", "body"):
        terms = list(leaf.terms)
        if leaf.prefix and len(terms) == 1:
            alts.append(wq.Prefix(field, terms[0]))
        elif leaf.prefix:
            expansions = list(reader.expand_prefix(field, terms[-1]))[:MAX_EXPANSION]
            exp = [e.decode() if isinstance(e, bytes) else e for e in expansions]
            alts += [wq.Phrase(field, terms[:-1] + [e]) for e in exp]
        elif len(terms) == 1:
            alts.append(wq.Term(field, terms[0]))
        else:
            alts.append(wq.Phrase(field, terms))
    return wq.Or(alts) if alts else wq.NullQuery


def compile_query(q: Query, reader) -> wq.Query:
    parts = []
    for node in q.required:
        leaves = node.leaves if isinstance(node, AnyOf) else [node]
        parts.append(wq.Or([_leaf_query(l, reader) for l in leaves]))
    out = wq.And(parts)
    if q.excluded:
        out = wq.AndNot(out, wq.Or([_leaf_query(l, reader) for l in q.excluded]))
    return out


def _filter(filters) -> wq.Query | None:
    terms = []
    if filters.project_id is not None:
        terms.append(wq.Term("project_id", str(filters.project_id)))
    if filters.phase:
        terms.append(wq.Term("phase", filters.phase))
    if filters.document_key:
        terms.append(wq.Term("document_key", filters.document_key))
    return wq.And(terms) if terms else None


def search(user, q: Query, filters, limit: int, offset: int, all_versions: bool):
    ix = open_index()
    with ix.searcher() as searcher:
        wquery = compile_query(q, searcher.reader())
        results = searcher.search(wquery, limit=None, filter=_filter(filters))
        ids = searcher.reader().column_reader("version_id")
        matched = {int(ids[docnum]): score for score, docnum in results.top_n}
    if not matched:
        return 0, []
    stmt = visible_versions(user, filters, all_versions)
    if len(matched) <= 500:
        from deliverables.models import Version  # late: deliverables.versions imports the search facade
        stmt = stmt.where(Version.id.in_(list(matched)))
    rows = [(vid, matched[vid], created) for vid, created in db.session().execute(stmt) if vid in matched]
    rows.sort(key=lambda r: (-r[1], -r[2].timestamp(), -r[0]))
    return len(rows), [(vid, score) for vid, score, _ in rows[offset:offset + limit]]
