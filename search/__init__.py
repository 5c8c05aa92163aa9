"""Full-text search facade: index_version, remove, query, reindex.

Callers never see the engine. The default engine is the database itself (SQLite FTS5
or PostgreSQL tsvector); HANDOVER_SEARCH=whoosh or =tantivy selects a file-index engine. Every
engine indexes the same analysed terms (search.analysis) and takes the same AST
(search.query_syntax); snippets come from the stored text (search.snippet).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask, current_app
from sqlalchemy import delete, select

from catalog import get_catalog
from core import db
from core.models import User
from core.storage import blob_path
from deliverables.text_index import register_indexer
from search import ocr
from search.models import SearchText
from search.sandbox import Extraction, Limits, clean_text, extract_file  # noqa: F401  (re-exported)
from search.query_syntax import parse
from search.scope import Filters  # noqa: F401  (re-exported for callers)

MAX_LIMIT = 100
FILE_ENGINES = ("whoosh", "tantivy")  # indexes in HANDOVER_DATA, rebuilt by `flask search reindex`


@dataclass
class Result:
    """A page of hits. `total_exact` is False when `total` is a lower bound: the common-query rule
    for very common queries (search/common.py: more than CAP)."""
    total: int
    hits: list[dict] = field(default_factory=list)
    total_exact: bool = True


def init_app(app: Flask) -> None:
    """Index every new version's text (deliverables calls it through its text_index seam)."""
    register_indexer(extract_file, index_version, index_versions)


def engine_name(app=None) -> str:
    """'whoosh' or 'tantivy' (FILE_ENGINES), or the database's own engine: 'sqlite' or 'postgresql'."""
    app = app or current_app
    if app.config.get("HANDOVER_SEARCH", "db") in FILE_ENGINES:
        return app.config["HANDOVER_SEARCH"]
    return "postgresql" if app.config["DATABASE_URL"].startswith("postgresql") else "sqlite"


def get_engine(name: str | None = None):
    name = name or engine_name()
    if name == "whoosh":
        from search.engines import whoosh_engine as mod  # on demand: only the engines in use load
    elif name == "tantivy":
        from search.engines import tantivy_engine as mod  # on demand
    elif name == "postgresql":
        from search.engines import postgres_fts as mod  # on demand
    else:
        from search.engines import sqlite_fts as mod  # on demand
    return mod


def indexed_name(version) -> str:
    """The name field every engine indexes: the file name, then the document's English
    catalog name in brackets (plan.txt (Test plan)), so an English search finds 测试计划
    versions whatever their file is called. Stored as SearchText.name (engines remove and
    rebuild from it)."""
    name = clean_text(version.filename)
    key = version.deliverable.document_key
    cat = get_catalog()
    item = cat.document(key) or cat.record(key)
    english = clean_text(item.name_en) if item and item.name_en else ""
    if english and english.casefold() not in name.casefold():
        name = f"{name} ({english})"
    return name


def index_version(version, extraction: Extraction) -> None:
    """Store and index `version`'s text, extracted beforehand (search.extract_file, outside
    the transaction), in the current transaction: searchable once it commits. A failed
    extraction is stored as such (found by file name only) and not retried by itself."""
    body = extraction.text
    name = indexed_name(version)
    status, error = extraction.status, extraction.error[:300]
    if ocr.needs_ocr(version.filename, extraction):  # a scan: the worker reads it (search.ocr)
        status, error = ocr.PENDING, ""
        ocr.promise(version.id)
    s = db.session()
    row = s.get(SearchText, version.id)
    if row is None:
        s.add(SearchText(version_id=version.id, name=name, body=body, status=status, error=error))
    else:
        get_engine().remove(version.id)
        row.name, row.body, row.status, row.error = name, body, status, error
    s.flush()
    get_engine().index(version, name, body)


def index_versions(pairs: list) -> None:
    """index_version for many new versions at once [(version, extraction)]: their texts in one
    multi-row insert, and the engine's batch path (the bulk import indexes per batch)."""
    rows, entries = [], []
    for version, extraction in pairs:
        name = indexed_name(version)
        status, error = extraction.status, extraction.error[:300]
        if ocr.needs_ocr(version.filename, extraction):  # a scan: the worker reads it (search.ocr)
            status, error = ocr.PENDING, ""
            ocr.promise(version.id)
        rows.append({"version_id": version.id, "name": name, "body": extraction.text, "status": status,
                     "error": error})
        entries.append((version, name, extraction.text))
    if not rows:
        return
    s = db.session()
    _insert_texts(s, rows)
    engine = get_engine()
    if hasattr(engine, "index_many"):
        engine.index_many(entries)
    else:
        for version, name, body in entries:
            engine.index(version, name, body)


def _insert_texts(s, rows: list[dict]) -> None:
    """Write search_texts rows in the session's transaction: on PostgreSQL with one COPY (the
    bulk import writes 200 texts of about 8 KB a batch; measured over 3,000 versions, the
    multi-row INSERT cost 616 ms, most of it the driver parsing one long statement a batch),
    elsewhere with one executemany."""
    if not db.can_copy():
        s.execute(SearchText.__table__.insert(), rows)
        return
    columns = ("version_id", "name", "body", "status", "error")
    db.copy_rows("search_texts", columns, (tuple(row[c] for c in columns) for row in rows))


def text_states(version_ids) -> dict[int, tuple[str, str]]:
    """{version id: (text status, reason)} of stored versions (see search.sandbox)."""
    ids = list(version_ids)
    if not ids:
        return {}
    rows = db.session().execute(select(SearchText.version_id, SearchText.status, SearchText.error)
                                .where(SearchText.version_id.in_(ids)))
    return {vid: (status, error) for vid, status, error in rows}


def remove(version_id: int) -> None:
    """Drop a version from the index (and its stored text)."""
    get_engine().remove(version_id)
    s = db.session()
    s.execute(delete(SearchText).where(SearchText.version_id == version_id))
    s.flush()


def query(user: User, q: str, filters: Filters | None = None, limit: int = 20, offset: int = 0,
          all_versions: bool = False) -> Result:
    """Versions matching `q` that `user` may see, best first (relevance, then newest)."""
    # hits needs deliverables.models, and deliverables.versions imports this facade: import late.
    from search.hits import hydrate
    parsed = parse(q)
    if parsed.empty:
        return Result(0, [])
    limit = max(0, min(limit, MAX_LIMIT))
    total, page = get_engine().search(user, parsed, filters or Filters(), limit, max(0, offset), all_versions)
    return Result(int(total), hydrate(page, parsed), total_exact=getattr(total, "exact", True))


def reindex(engines: list[str] | None = None, echo=None, checkpoint=None) -> int:
    """Re-extract every version's text from its blob (the same bounded subprocess as an
    upload, so failed extractions are retried here, explicitly), then rebuild the given
    engines' indexes (default_engines(): the database's engine, Whoosh, and tantivy when it
    is live) from the stored texts (tantivy rebuilds from the committed texts once the caller
    commits: search.engines.tantivy_engine).
    Returns the version count.

    `checkpoint` (the CLI passes the session's commit) is called after each version's text
    is stored, so no extraction runs while this transaction holds a write lock; without
    it everything happens in the caller's one transaction."""
    count = refresh_texts(echo, checkpoint)
    s = db.session()
    engines = engines or default_engines()
    for e in engines:
        get_engine(e).clear()
    try:
        _rebuild(s, engines)
    except BaseException:
        for e in engines:
            get_engine(e).abort_bulk()
        raise
    for e in engines:
        get_engine(e).finish_bulk()
    return count


def refresh_texts(echo=None, checkpoint=None) -> int:
    """Re-extract and store every version's text, keeping the database's own index in step
    when it is the live engine (SQLite's contentless index can only drop a row given the
    text it indexed; with Whoosh live it holds nothing until rebuilt)."""
    from deliverables.models import Version  # late: deliverables.versions imports this facade
    s = db.session()
    limits = Limits.from_app()
    live = get_engine() if engine_name() not in FILE_ENGINES else None
    ids = list(s.scalars(select(Version.id).order_by(Version.id)))
    for n, vid in enumerate(ids, 1):
        v = s.get(Version, vid)
        got = extract_file(blob_path(v.sha256), v.filename, limits)  # before this version's writes
        body, name, status, error = got.text, indexed_name(v), got.status, got.error[:300]
        row = s.get(SearchText, vid)
        if ocr.needs_ocr(v.filename, got):  # a scan: keep recognised or pending text, else OCR again
            if row is not None and row.status in (ocr.RECOGNISED, ocr.PENDING):
                body, status, error = row.body, row.status, row.error
            else:
                status, error = ocr.PENDING, ""
                ocr.promise(vid)
        if row is None:
            row = SearchText(version_id=vid, name=name, body=body, status=status, error=error)
            s.add(row)
        else:
            if live:
                live.remove(vid)
            row.name, row.body, row.status, row.error = name, body, status, error
        s.flush()
        if live:
            live.index(v, name, body)
        s.expunge(row)  # texts can be large: do not keep them all in the session
        if checkpoint:
            checkpoint()
        if echo and n % 500 == 0:
            echo(f"{n} texts extracted")
    return len(ids)


def _rebuild(s, engines) -> None:
    from deliverables.models import Version  # late: deliverables.versions imports this facade
    stmt = (select(Version, SearchText.name, SearchText.body)
            .join(SearchText, SearchText.version_id == Version.id).order_by(Version.id))
    for n, (v, name, body) in enumerate(s.execute(stmt.execution_options(yield_per=200)), 1):
        for e in engines:
            get_engine(e).index(v, name, body, bulk=True)
        if n % 200 == 0:
            s.flush()


def default_engines() -> list[str]:
    """What `flask search reindex` rebuilds by default: the database's engine, Whoosh, and
    tantivy when it is the live engine."""
    return [engine_name_db(), "whoosh"] + (["tantivy"] if engine_name() == "tantivy" else [])


def engine_name_db() -> str:
    return "postgresql" if current_app.config["DATABASE_URL"].startswith("postgresql") else "sqlite"
