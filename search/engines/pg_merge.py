"""Moving new search chunks into the main PostgreSQL table: the worker's search_merge job.

Uploads and imports write their chunks to search_chunks_recent (GIN with its pending list:
cheap to insert; migration 0014) because inserting into the RUM index of search_chunks costs
about twelve times as much. Both tables are searched (the view search_chunks_all), so moving
rows changes no result; it keeps the recent table small, so the part of a query that ranks
recent rows one by one stays cheap while the large table is ranked from the RUM index.

One batch is one statement: the first BATCH recent rows locked (FOR UPDATE SKIP LOCKED, so two
workers move different rows), deleted ... RETURNING into an INSERT into search_chunks, in one
transaction: a row is in exactly one table before and after, never lost or doubled. The job
runs every minute and moves batches until the table is empty or its time budget is spent.
"""
from __future__ import annotations

import time

from sqlalchemy import text

from core import db
from search import engine_name_db

JOB = "search_merge"
BATCH = 500  # chunks a transaction: about 250 versions
BUDGET_S = 45.0  # a run ends before the next minute's run is due

# The batch is chosen once (ARRAY(...) is an init plan: as a plain IN subquery the planner may
# run the locking LIMIT again for every row) and its rows deleted by ctid (a TID scan, whatever
# the table's statistics say): the rows are locked, so their ctids hold until the commit.
_MOVE = text(
    "WITH moved AS (DELETE FROM search_chunks_recent WHERE ctid = ANY(ARRAY("
    "  SELECT ctid FROM search_chunks_recent ORDER BY version_id, chunk LIMIT :n FOR UPDATE SKIP LOCKED))"
    "  RETURNING version_id, chunk, tsv) "
    "INSERT INTO search_chunks (version_id, chunk, tsv) SELECT version_id, chunk, tsv FROM moved "
    "ON CONFLICT (version_id, chunk) DO UPDATE SET tsv = EXCLUDED.tsv")


def applies() -> bool:
    """True where there is something to merge: the database engine on PostgreSQL."""
    return engine_name_db() == "postgresql"


def merge_batch(n: int = BATCH) -> int:
    """Move up to n recent chunks into search_chunks; the caller commits. Returns how many moved."""
    return db.session().execute(_MOVE, {"n": n}).rowcount


def merge(budget_s: float = BUDGET_S, batch: int = BATCH) -> int:
    """Move recent chunks in committed batches until none is left or `budget_s` is spent.
    Returns the number of chunks moved (0 on SQLite)."""
    if not applies():
        return 0
    s = db.session()
    moved, start = 0, time.monotonic()
    while True:
        n = merge_batch(batch)
        s.commit()
        moved += n
        if n < batch or time.monotonic() - start >= budget_s:
            return moved


def pending() -> int:
    """Chunks still in the recent table (0 on SQLite)."""
    if not applies():
        return 0
    return db.session().scalar(text("SELECT count(*) FROM search_chunks_recent"))


def job() -> dict:
    """The periodic job: {"moved": n, "left": m}."""
    moved = merge()
    return {"moved": moved, "left": pending()}
