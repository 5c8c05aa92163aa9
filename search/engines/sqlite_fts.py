"""SQLite FTS5 engine: a contentless table over the bigram text, rowid = version id.

Rows are written in the caller's transaction. Deleting from a contentless table needs
the indexed values, which we recompute from search_texts (the analysis is deterministic).
Ranking: bm25 (file-name matches weigh double), then newest.
"""
from __future__ import annotations

from sqlalchemy import Float, Integer, func, select, text

from core import db
from deliverables.models import Version
from search.analysis import index_text
from search.models import SearchText
from search.query_syntax import AnyOf, Leaf, Query
from search.scope import conditions, join_versions

NAME_WEIGHT, BODY_WEIGHT = 2.0, 1.0


def index(version, name: str, body: str, bulk: bool = False) -> None:
    db.session().execute(text("INSERT INTO search_fts(rowid, name, body) VALUES (:id, :name, :body)"),
                         {"id": version.id, "name": index_text(name), "body": index_text(body)})


def index_many(entries) -> None:
    """index() for [(version, name, body)] in one executemany."""
    db.session().execute(text("INSERT INTO search_fts(rowid, name, body) VALUES (:id, :name, :body)"),
                         [{"id": v.id, "name": index_text(n), "body": index_text(b)} for v, n, b in entries])


def remove(version_id: int) -> None:
    s = db.session()
    row = s.get(SearchText, version_id)
    if row is None:
        return
    s.execute(text("INSERT INTO search_fts(search_fts, rowid, name, body) VALUES ('delete', :id, :name, :body)"),
              {"id": version_id, "name": index_text(row.name), "body": index_text(row.body)})


def clear() -> None:
    db.session().execute(text("INSERT INTO search_fts(search_fts) VALUES ('delete-all')"))


def abort_bulk() -> None:
    """Nothing to undo: the transaction's rollback does it."""


def finish_bulk() -> None:
    db.session().execute(text("INSERT INTO search_fts(search_fts) VALUES ('optimize')"))


def _leaf(leaf: Leaf) -> str:
    phrase = '"' + " ".join(leaf.terms) + '"'
    return phrase + " *" if leaf.prefix else phrase


def compile_match(q: Query) -> str:
    """The FTS5 MATCH expression; every term is quoted, so no user syntax gets through."""
    parts = []
    for node in q.required:
        if isinstance(node, AnyOf):
            parts.append("(" + " OR ".join(_leaf(l) for l in node.leaves) + ")")
        else:
            parts.append(_leaf(node))
    expr = " AND ".join(parts)
    if q.excluded:
        expr = f"({expr}) NOT (" + " OR ".join(_leaf(l) for l in q.excluded) + ")"
    return expr


def search(user, q: Query, filters, limit: int, offset: int, all_versions: bool):
    """(total, [(version_id, score)]) with visibility and filters applied in the query."""
    m = (text(f"SELECT rowid AS vid, bm25(search_fts, {NAME_WEIGHT}, {BODY_WEIGHT}) AS score "
              "FROM search_fts WHERE search_fts MATCH :match")
         .bindparams(match=compile_match(q)).columns(vid=Integer, score=Float).subquery("m"))
    base = join_versions(select(Version.id, m.c.score, func.count().over().label("total"))
                         .select_from(m).join(Version, Version.id == m.c.vid))
    stmt = (base.where(*conditions(user, filters, all_versions))
            .order_by(m.c.score, Version.created_at.desc(), Version.id.desc()).limit(limit).offset(offset))
    rows = db.session().execute(stmt).all()
    if rows:
        total = rows[0].total
    else:
        total = db.session().scalar(join_versions(select(func.count()).select_from(m).join(
            Version, Version.id == m.c.vid)).where(*conditions(user, filters, all_versions)))
    return total, [(r.id, -r.score) for r in rows]
