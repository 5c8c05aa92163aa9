"""Full-text search facade: index_version, remove, query, reindex.

Callers never see the engine. The default engine is the database itself (SQLite FTS5
or PostgreSQL tsvector); HANDOVER_SEARCH=whoosh selects the Whoosh engine. Every
engine indexes the same analysed terms (search.analysis) and takes the same AST
(search.query_syntax); snippets come from the stored text (search.snippet).
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from sqlalchemy import delete, select

from core import db
from core.models import User
from search.extract import extract_text
from search.models import SearchText
from search.query_syntax import parse
from search.scope import Filters  # noqa: F401  (re-exported for callers)

MAX_LIMIT = 100


@dataclass
class Result:
    total: int
    hits: list[dict] = field(default_factory=list)


def engine_name(app=None) -> str:
    """'whoosh', or the database's own engine: 'sqlite' or 'postgresql'."""
    app = app or current_app
    if app.config.get("HANDOVER_SEARCH", "db") == "whoosh":
        return "whoosh"
    return "postgresql" if app.config["DATABASE_URL"].startswith("postgresql") else "sqlite"


def get_engine(name: str | None = None):
    name = name or engine_name()
    if name == "whoosh":
        from search.engines import whoosh_engine as mod
    elif name == "postgresql":
        from search.engines import postgres_fts as mod
    else:
        from search.engines import sqlite_fts as mod
    return mod


def clean_text(text: str) -> str:
    """What we store and index: NFKC, without NUL characters."""
    return unicodedata.normalize("NFKC", text).replace("\x00", " ")


def index_version(version, path: Path | str) -> None:
    """Extract `version`'s text from the blob at `path` and index it, in the current
    transaction (searchable once it commits). Never fails on unreadable content."""
    body = clean_text(extract_text(path, version.filename))
    name = clean_text(version.filename)
    s = db.session()
    row = s.get(SearchText, version.id)
    if row is None:
        s.add(SearchText(version_id=version.id, name=name, body=body))
    else:
        get_engine().remove(version.id)
        row.name, row.body = name, body
    s.flush()
    get_engine().index(version, name, body)


def remove(version_id: int) -> None:
    """Drop a version from the index (and its stored text)."""
    get_engine().remove(version_id)
    s = db.session()
    s.execute(delete(SearchText).where(SearchText.version_id == version_id))
    s.flush()


def query(user: User, q: str, filters: Filters | None = None, limit: int = 20, offset: int = 0,
          all_versions: bool = False) -> Result:
    """Versions matching `q` that `user` may see, best first (relevance, then newest)."""
    from search.hits import hydrate
    parsed = parse(q)
    if parsed.empty:
        return Result(0, [])
    limit = max(0, min(limit, MAX_LIMIT))
    total, page = get_engine().search(user, parsed, filters or Filters(), limit, max(0, offset), all_versions)
    return Result(total, hydrate(page, parsed))


def reindex(engines: list[str] | None = None, echo=None) -> int:
    """Re-extract every version's text from its blob and rebuild the given engines'
    indexes (default: the database's engine and Whoosh). Returns the version count."""
    s = db.session()
    engines = engines or [engine_name_db(), "whoosh"]
    for e in engines:
        get_engine(e).clear()
    try:
        count = _reindex_all(s, engines, echo)
    except BaseException:
        for e in engines:
            get_engine(e).abort_bulk()
        raise
    for e in engines:
        get_engine(e).finish_bulk()
    return count


def _reindex_all(s, engines, echo) -> int:
    from core.storage import blob_path
    from deliverables.models import Version
    count = 0
    for v in s.scalars(select(Version).order_by(Version.id)).yield_per(500):
        body = clean_text(extract_text(blob_path(v.sha256), v.filename))
        name = clean_text(v.filename)
        row = s.get(SearchText, v.id)
        if row is None:
            s.add(SearchText(version_id=v.id, name=name, body=body))
        else:
            row.name, row.body = name, body
        for e in engines:
            get_engine(e).index(v, name, body, bulk=True)
        count += 1
        if count % 500 == 0:
            s.flush()
            if echo:
                echo(f"{count} versions")
    s.flush()
    return count


def engine_name_db() -> str:
    return "postgresql" if current_app.config["DATABASE_URL"].startswith("postgresql") else "sqlite"
