"""PostgreSQL ranking from the index: the RUM path of the PostgreSQL engine (issue 17).

With the `rum` extension (Debian: postgresql-15-rum) migration 0012 puts a RUM index over
search_chunks.tsv (rum_tsvector_ops: lexeme positions stored in the index) in place of GIN.
An unfiltered query then reads chunks from that index in rank order (ORDER BY tsv <=> query,
through a server-side cursor, BATCH rows at a time) and stops as soon as the page is certain,
instead of computing ts_rank over every matching chunk read back from the table (the GIN path
in postgres_fts.py, used where RUM is absent or switched off). RUM ranks every match inside
the index (no table reads), so its cost still grows with the number of matches, but slowly.

Ranking: a version ranks by its best chunk (most versions have two: the file name and one
body chunk); equal distances, newest first. RUM's ordered scan does not rank the phrase
operator (<->: it returns those matches in table order), so chunks are ordered by the same
terms joined with & (rank_tsquery) while the match is still the phrase. A filtered query
(project, phase, status, document) ranks its few candidates in one statement, filter first.
`total` is exact: one count of the visible, filtered versions hash-joined with the matching
ones (a bitmap scan of the RUM index, which needs no table read for a phrase either).

Which path runs: RUM when HANDOVER_SEARCH_RUM is on (default) and the index exists; the
answer is cached per app and logged once ("search: PostgreSQL ranks with ...");
`flask search status` prints it.
"""
from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import bindparam, cast, func, select, text
from sqlalchemy.dialects.postgresql import TSQUERY

from core import db
from deliverables.models import Version
from search.scope import conditions, join_versions

INDEX = "ix_search_chunks_rum"
BATCH = 200  # chunks read from the index at a time
CACHE_KEY = "handover.search_rum_index"
log = logging.getLogger(__name__)


def index_exists() -> bool:
    """True when migration 0012 created the RUM index (rum was installed on the server)."""
    return db.session().scalar(text("SELECT 1 FROM pg_indexes WHERE tablename = 'search_chunks' "
                                    "AND indexname = :i"), {"i": INDEX}) is not None


def ranking_path() -> tuple[str, str]:
    """('rum' | 'gin', why): the path the PostgreSQL engine takes in this app."""
    if not current_app.config.get("HANDOVER_SEARCH_RUM", True):
        return "gin", "HANDOVER_SEARCH_RUM=0"
    found = current_app.extensions.get(CACHE_KEY)
    if found is None:
        found = current_app.extensions[CACHE_KEY] = index_exists()
        log.info("search: PostgreSQL ranks with %s", f"RUM ({INDEX})" if found else
                 "GIN (no RUM index: install postgresql-15-rum, then `flask db upgrade` on a fresh database "
                 "or run migration 0012 again)")
    return ("rum", f"index {INDEX}") if found else ("gin", "rum extension or index absent")


def use_rum() -> bool:
    return ranking_path()[0] == "rum"


def rank_tsquery(leaves) -> str:
    """The tsquery the RUM index orders by: each leaf's terms joined by & instead of <-> (RUM's
    ordered scan does not rank phrase operators: it returns such matches in table order), so a
    phrase ranks by its terms; the match itself is still the phrase (qany)."""
    def one(leaf) -> str:
        parts = [f"'{t}'" for t in leaf.terms]
        if leaf.prefix:
            parts[-1] += ":*"
        return "(" + " & ".join(parts) + ")"
    return " | ".join(one(leaf) for leaf in leaves)


def search(user, qany, leaves, extra: list, chunks, filters, limit: int, offset: int, all_versions: bool):
    """(total, [(version id, rank)]) ranked by the RUM index's distance (rank = 1 / distance).

    `qany` (a tsquery expression of every positive leaf) is the match, `leaves` those leaves
    (rank_tsquery orders by them); `extra` holds the per-version conditions of multi-word and
    excluded terms (postgres_fts builds all three). A query with a filter (project, phase,
    status, document) ranks its few versions in one statement (_filter_first); without one
    the page comes from the index in rank order (_page_from_index) and the total from _count."""
    conds = conditions(user, filters, all_versions) + extra
    qrank = cast(bindparam("qrank", rank_tsquery(leaves)), TSQUERY)
    if filters.project_id is not None or filters.phase or filters.status or filters.document_key:
        return _filter_first(conds, qany, qrank, chunks, limit, offset)
    return _count(conds, qany, chunks), _page_from_index(conds, qany, qrank, chunks, limit, offset)


def _page_from_index(conds, qany, qrank, chunks, limit: int, offset: int) -> list[tuple[int, float]]:
    """The page, read from the RUM index in rank order (ORDER BY tsv <=> q, as a server-side
    cursor: only the rows read are ranked out of the index and fetched) in batches of BATCH
    chunks; each batch's new versions are checked for visibility by primary key (one query).
    A version ranks by its first (best) chunk, ties newest first; reading stops once the
    offset + limit best visible versions are certain: the next chunk ranks strictly lower."""
    s = db.session()
    distance = chunks.c.tsv.op("<=>")(qrank)
    want = offset + limit
    stream = s.execute(select(chunks.c.version_id, distance.label("d"))
                       .where(chunks.c.tsv.op("@@")(qrank), chunks.c.tsv.op("@@")(qany)).order_by(distance)
                       .execution_options(stream_results=True, max_row_buffer=BATCH))
    seen: set[int] = set()
    scores: dict[int, float] = {}
    ranked: list[tuple[int, float, int]] = []  # (rank group, -created, -id) of visible versions
    group, last = -1, None
    try:
        for batch in stream.partitions(BATCH):
            new = {}
            for vid, d in batch:
                if d != last:  # the index's order; equal distances form one group, ordered newest first
                    group, last = group + 1, d
                if vid not in seen:
                    seen.add(vid)
                    new[vid], scores[vid] = group, d
            if new:
                ranked += [(new[vid], -created.timestamp(), -vid) for vid, created in s.execute(
                    join_versions(select(Version.id, Version.created_at)).where(*conds, Version.id.in_(list(new))))]
                ranked.sort()
            if len(ranked) >= want and group > ranked[want - 1][0]:
                break  # every later chunk is in a later group: the page is certain
    finally:
        stream.close()
    return [(-nid, _rank(scores[-nid])) for _, _, nid in ranked[offset:want]]


def _count(conds, qany, chunks) -> int:
    """Exact total: the visible versions (scope.conditions) hash-joined with the matching
    versions (a bitmap scan of the RUM index: positions are in the index, so no chunk is read
    from the table, phrases included). Nested loops are off for this one statement: the planner
    estimates the latest-version join at one row and would otherwise probe each visible
    version's chunks one by one (about 4x slower at 20,000 versions)."""
    s = db.session()
    matching = select(chunks.c.version_id).where(chunks.c.tsv.op("@@")(qany))
    s.execute(text("SET LOCAL enable_nestloop = off"))  # an error rolls the transaction (and this) back
    total = s.scalar(join_versions(select(func.count()).select_from(Version)).where(*conds, Version.id.in_(matching)))
    s.execute(text("SET LOCAL enable_nestloop = on"))
    return total


def _filter_first(conds, qany, qrank, chunks, limit: int, offset: int):
    """A filtered query: the few visible, filtered versions first, each ranked by its best
    chunk's distance (computed on those chunks only), the total from the same statement."""
    s = db.session()
    best = func.min(chunks.c.tsv.op("<=>")(qrank)).label("d")
    matched = join_versions(select(Version.id, Version.created_at, best)
                            .select_from(chunks).join(Version, Version.id == chunks.c.version_id)
                            ).where(*conds, chunks.c.tsv.op("@@")(qany)).group_by(Version.id, Version.created_at
                                                                                  ).subquery("m")
    rows = s.execute(select(matched.c.id, matched.c.d, func.count().over().label("total"))
                     .order_by(matched.c.d, matched.c.created_at.desc(), matched.c.id.desc())
                     .limit(limit).offset(offset)).all()
    total = rows[0].total if rows else s.scalar(select(func.count()).select_from(matched))
    return total, [(r.id, _rank(r.d)) for r in rows]


def _rank(distance: float) -> float:
    return 1.0 / distance if distance else 0.0
