"""Which PostgreSQL chunks a latest-only search reads: those of current versions (issue 17).

A search without "all versions" returns, of each deliverable, only the version its user sees
as latest (deliverables.visibility.latest_version_column): deliverables.latest_version_id, or
for a client the latest signed-off one, latest_signed_version_id. Both are *current* versions
(CURRENT_IDS). In an archive most versions are not: in the bench's vendor trees a document has
three, so two chunks in three belong to superseded versions, and every cost of RUM (the count's
bitmap scan, the ordered scan, the common-query walk) grows with every match, visible or not.
Measured at 20,000 versions, '"meta 服务"' over a table of the current chunks only: the count
of matching versions 6 ms instead of 20, the ordered scan 17 ms instead of 36.

So search_chunks marks a chunk `past` once its version is no longer current (migration 0016),
and its RUM indexes are partial: ix_search_chunks_rum and ix_search_chunks_newest over the
current chunks (WHERE NOT past), ix_search_chunks_past and ix_search_chunks_past_newest over
the others. A latest-only query reads the view search_chunks_all (both tables, each chunk with
its `past`; a recent chunk is never past) and says NOT past; an all-versions query matches its
words through search_chunks_parts, whose legs are the two parts, each read through its own
partial index (a plain match of every chunk could use neither); its ranked scan and its
common-query walk read both parts (pg_rum). Why two views: a leg of a UNION ALL view with a
condition of its own is planned as a subquery, not flattened, so a join can no longer probe
it by version id (a filtered query at 200,000 versions then hashed every match of its word:
11 ms instead of under 1); search_chunks_all has no such leg.

Why marking is safe: a version leaves the current set for good. latest_version_id is the
highest-numbered version (a new version only adds a higher number, and versions are never
deleted), latest_signed_version_id the highest signed-off id (signed_off_at is never cleared,
and a superseded version waits at no step of its workflow, so it cannot be signed off later:
deliverables.workflow). A chunk marked past therefore never belongs to a version a latest-only
search may return. Marking is the search_merge job's (pg_merge.mark_past), so an upload or a
sign-off writes nothing into a RUM index; until the job runs, a superseded version's chunks are
still read and dropped by the visibility join, as before. Anything that would make a version
current again must re-index it (search.index_version writes to the recent table, read by both
views).
"""
from __future__ import annotations

# Every current version id (the twin of latest_version_column's two columns), as SQL.
CURRENT_IDS = ("SELECT latest_version_id FROM deliverables WHERE latest_version_id IS NOT NULL "
               "UNION ALL SELECT latest_signed_version_id FROM deliverables WHERE latest_signed_version_id IS NOT NULL")
ALL_VIEW = "search_chunks_all"
PARTS_VIEW = "search_chunks_parts"


def is_past(column: str) -> str:
    """SQL: true when the version id in `column` is not current (a hashed subplan, one pass
    over the deliverables a statement, while the ids fit in work_mem: pg_merge sets it)."""
    return f"({column} NOT IN ({CURRENT_IDS}))"


def create_views(execute) -> None:
    """(Re)create both views over search_chunks and search_chunks_recent; `execute(sql)` runs
    a statement (a session's or a migration's)."""
    execute(f"DROP VIEW IF EXISTS {ALL_VIEW}")
    execute(f"DROP VIEW IF EXISTS {PARTS_VIEW}")
    execute(f"CREATE VIEW {ALL_VIEW} AS SELECT version_id, chunk, tsv, past FROM search_chunks "
            "UNION ALL SELECT version_id, chunk, tsv, false AS past FROM search_chunks_recent")
    execute(f"CREATE VIEW {PARTS_VIEW} AS SELECT version_id, chunk, tsv FROM search_chunks WHERE NOT past "
            "UNION ALL SELECT version_id, chunk, tsv FROM search_chunks WHERE past "
            "UNION ALL SELECT version_id, chunk, tsv FROM search_chunks_recent")
