"""SQLite FTS5 engine: a contentless table over the bigram text, rowid = version id.

Rows are written in the caller's transaction. Deleting from a contentless table needs
the indexed values, which we recompute from search_texts (the analysis is deterministic).
Ranking: bm25 (file-name matches weigh double), then newest; totals exact. Except for a
common query (the common-query rule, search/common.py), whose words occur in more than COMMON
versions: bm25 there costs two passes over every match (its idf is one), so such a
query shows the newest visible matches, file-name matches first, counted up to CAP:
_search_common.
"""
from __future__ import annotations

from sqlalchemy import Float, Integer, Select, column, func, literal_column, select, table, text

from core import db
from deliverables.models import Version
from search import common
from search.analysis import index_text
from search.models import SearchText
from search.query_syntax import AnyOf, Leaf, Query
from search.scope import conditions, join_versions, visible_matches

NAME_WEIGHT, BODY_WEIGHT = 2.0, 1.0
NAME_SPAN = 25  # _in_name asks FTS5 when the ids span less than this many times their number
FTS = table("search_fts", column("rowid", Integer))


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


def _probe_leaf(leaf: Leaf) -> str:
    """A leaf's terms ANDed, positions not checked, a prefix term left out (FTS5 merges every
    term it begins without a prefix index): matches at least what the leaf matches."""
    if leaf.prefix and len(leaf.terms) == 1:
        return '("' + leaf.terms[0] + '" *)'
    terms = leaf.terms[:-1] if leaf.prefix else leaf.terms
    return "(" + " AND ".join('"' + t + '"' for t in terms) + ")"


def compile_probe(q: Query) -> str:
    """compile_match without phrase positions and without exclusions: a cheap superset of the
    matches, counted (up to common.COMMON + 1) to tell a common query from the others."""
    parts = []
    for node in q.required:
        leaves = node.leaves if isinstance(node, AnyOf) else (node,)
        parts.append("(" + " OR ".join(_probe_leaf(l) for l in leaves) + ")")
    return " AND ".join(parts)


def _count_upto(expr: str, n: int) -> int:
    return db.session().execute(text("SELECT count(*) FROM (SELECT rowid FROM search_fts "
                                     "WHERE search_fts MATCH :m LIMIT :n)"), {"m": expr, "n": n}).scalar()


def _matches(user, match: str, filters, all_versions: bool, *columns) -> Select:
    """select(*columns) over the visible versions matching `match`, search_fts joined flat (so
    bm25 in `columns` or the ORDER BY is computed only for the rows the conditions keep)."""
    return visible_matches(select(*columns).select_from(FTS).where(text("search_fts MATCH :match").bindparams(
        match=match)), FTS.c.rowid, user, filters, all_versions)


def search(user, q: Query, filters, limit: int, offset: int, all_versions: bool):
    """(total, [(version_id, score)]) with visibility and filters applied in the query.

    Up to common.COMMON matches (counted on the words alone: compile_probe), ranked by bm25 over
    every visible match, exact total. A common query (more than that): see _search_common. Within
    one project (filters.project_id) the count is not made and the rule never applies: the
    users of a project filter want its ranking (_search_in_project)."""
    match = compile_match(q)
    if filters.project_id is not None:
        return _search_in_project(user, match, filters, limit, offset, all_versions)
    if _count_upto(compile_probe(q), common.COMMON + 1) > common.COMMON:
        return _search_common(user, q, match, filters, limit, offset, all_versions)
    s = db.session()
    score = literal_column(f"bm25(search_fts, {NAME_WEIGHT}, {BODY_WEIGHT})", Float).label("score")
    hits = _matches(user, match, filters, all_versions, Version.id, Version.created_at, score).subquery("hits")
    # bm25 inside `hits` (SQLite refuses it beside a window function), after the joins: computed
    # for the visible matches only; the window's count is the exact total.
    rows = s.execute(select(hits.c.id, hits.c.score, func.count().over().label("total"))
                     .order_by(hits.c.score, hits.c.created_at.desc(), hits.c.id.desc())
                     .limit(limit).offset(offset)).all()
    total = rows[0].total if rows else s.scalar(_matches(user, match, filters, all_versions, func.count()))
    return total, [(r.id, -r.score) for r in rows]


def _search_in_project(user, match: str, filters, limit: int, offset: int, all_versions: bool):
    """A query within one project: bm25 over the FTS5 matches first (one pass in the index),
    then joined to the project's visible versions. Measured at 200,000 versions: 3.3 ms a
    statement this way against 8.1 ms when the join starts at the deliverables (visible_matches),
    which makes SQLite probe the FTS5 index once per deliverable of the project."""
    m = (text(f"SELECT rowid AS vid, bm25(search_fts, {NAME_WEIGHT}, {BODY_WEIGHT}) AS score "
              "FROM search_fts WHERE search_fts MATCH :match")
         .bindparams(match=match).columns(vid=Integer, score=Float).subquery("m"))
    conds = conditions(user, filters, all_versions)
    rows = db.session().execute(
        join_versions(select(Version.id, m.c.score, func.count().over().label("total"))
                      .select_from(m).join(Version, Version.id == m.c.vid)).where(*conds)
        .order_by(m.c.score, Version.created_at.desc(), Version.id.desc()).limit(limit).offset(offset)).all()
    if rows:
        return rows[0].total, [(r.id, -r.score) for r in rows]
    total = db.session().scalar(join_versions(select(func.count()).select_from(m).join(
        Version, Version.id == m.c.vid)).where(*conds))
    return total, []


def _in_name(q: Query, match: str, ids: list[int]) -> set[int]:
    """Which of `ids` match in their name: FTS5 over their id range when they lie close together
    (the newest matches of a common query), else their stored names (common.name_matches) rather
    than FTS5 over a range that holds most of the index."""
    s = db.session()
    lo, hi = min(ids), max(ids)
    if hi - lo < NAME_SPAN * len(ids):
        return set(s.scalars(text("SELECT rowid FROM search_fts WHERE search_fts MATCH :m "
                                  "AND rowid BETWEEN :lo AND :hi").bindparams(m="name : (" + match + ")", lo=lo, hi=hi))
                   ) & set(ids)
    rows = s.execute(select(SearchText.version_id, SearchText.name).where(SearchText.version_id.in_(ids))).all()
    return {vid for vid, name in rows if common.name_matches(q, name)}


def _search_common(user, q: Query, match: str, filters, limit: int, offset: int, all_versions: bool):
    """A common query (search/common.py): the newest visible matches, up to CAP + 1 (version ids
    in descending order, which FTS5 gives without sorting), ordered and cut by common.page,
    file-name matches (_in_name) first."""
    cands = db.session().execute(_matches(user, match, filters, all_versions, Version.id, Version.created_at)
                                 .order_by(FTS.c.rowid.desc()).limit(common.CAP + 1)).all()
    if not cands:
        return 0, []
    return common.page(cands, _in_name(q, match, [c.id for c in cands[:common.CAP]]), limit, offset)
