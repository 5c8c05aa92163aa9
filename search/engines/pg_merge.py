"""Moving new search chunks into the main PostgreSQL table: the worker's search_merge job.

Uploads and imports write their chunks to search_chunks_recent (GIN with its pending list:
cheap to insert; migration 0014) because inserting into the RUM index of search_chunks costs
about twelve times as much. Both tables are searched (the views of pg_current), so moving
rows changes no result; it keeps the recent table small, so the part of a query that ranks
recent rows one by one stays cheap while the large table is ranked from the RUM index.

One batch is one statement: the first BATCH recent rows locked (FOR UPDATE SKIP LOCKED, so two
workers move different rows), deleted ... RETURNING into an INSERT into search_chunks, in one
transaction: a row is in exactly one table before and after, never lost or doubled. The job
runs every minute and moves batches until the table is empty or its time budget is spent.

After a bulk import the recent table can hold far more than the main one (an archive of
200,000 versions: 400,000 chunks), and chunk by chunk that would take over an hour: the RUM
index's inserts are bound by the WAL (1.2 GB for 1,000 chunks, measured). Then the job
rebuilds instead (bulk_merge): a new table filled from both, its indexes built once (CREATE
INDEX is about ten times faster than inserting), swapped in at the end of one transaction.
Readers go on reading the old tables (the moved rows are deleted only at the commit) and wait
only for the swap itself; writers wait for the whole rebuild. Then the recent table is vacuumed
(vacuum_recent), so queries no longer read the moved rows' index entries.

The job also marks past the chunks of versions no longer current (pg_current, migration 0016):
a moved chunk is marked as it moves, the rebuild marks every row it copies, and mark_past marks
those whose version was superseded after they were moved (an UPDATE in batches, with what is
left of the minute's budget): each leaves the partial indexes that latest-only searches read.
"""
from __future__ import annotations

import time

from sqlalchemy import text

from core import db
from search import engine_name_db
from search.engines.pg_current import ALL_VIEW, PARTS_VIEW, create_views, is_past

JOB = "search_merge"
BATCH = 500  # chunks a transaction: about 250 versions
BUDGET_S = 45.0  # a run ends before the next minute's run is due

# The batch is chosen once (ARRAY(...) is an init plan: as a plain IN subquery the planner may
# run the locking LIMIT again for every row) and its rows deleted by ctid (a TID scan, whatever
# the table's statistics say): the rows are locked, so their ctids hold until the commit.
# A moved chunk is marked past at once when its version is no longer current (pg_current).
_MOVE = text(
    "WITH moved AS (DELETE FROM search_chunks_recent WHERE ctid = ANY(ARRAY("
    "  SELECT ctid FROM search_chunks_recent ORDER BY version_id, chunk LIMIT :n FOR UPDATE SKIP LOCKED))"
    "  RETURNING version_id, chunk, tsv) "
    f"INSERT INTO search_chunks (version_id, chunk, tsv, past) SELECT version_id, chunk, tsv, {is_past('version_id')} "
    "FROM moved ON CONFLICT (version_id, chunk) DO UPDATE SET tsv = EXCLUDED.tsv, past = EXCLUDED.past")
# Chunks of versions no longer current not yet marked past (mark_batch marks them, unmarked
# counts them).
_UNMARKED = f"NOT past AND {is_past('version_id')}"
# Marked in batches (same locking as _MOVE): each leaves the partial indexes of the current
# chunks for the past ones (pg_current).
_MARK = text(
    "UPDATE search_chunks SET past = true WHERE ctid = ANY(ARRAY("
    f"  SELECT ctid FROM search_chunks WHERE {_UNMARKED} LIMIT :n FOR UPDATE SKIP LOCKED))")


# Rebuild rather than move row by row when the recent table holds at least this many chunks
# and at least this share of the main table's (the rebuild reads and indexes both tables).
BULK_MIN = 20_000
BULK_SHARE = 0.25
NEXT = "search_chunks_next"


def applies() -> bool:
    """True where there is something to merge: the database engine on PostgreSQL."""
    return engine_name_db() == "postgresql"


# Memory for the transaction's hash of the current version ids (pg_current.is_past): with
# PostgreSQL's default 4 MB the NOT IN list stops being a hashed subplan from about 300,000
# ids, and every row would then be compared with the whole list.
WORK_MEM = "64MB"


def _with_memory(s) -> None:
    s.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))  # until this transaction ends


def merge_batch(n: int = BATCH) -> int:
    """Move up to n recent chunks into search_chunks; the caller commits. Returns how many moved."""
    s = db.session()
    _with_memory(s)
    return s.execute(_MOVE, {"n": n}).rowcount


def mark_batch(n: int = BATCH) -> int:
    """Mark up to n chunks of versions no longer current as past; the caller commits. Returns
    how many were marked."""
    s = db.session()
    _with_memory(s)
    return s.execute(_MARK, {"n": n}).rowcount


def merge(budget_s: float = BUDGET_S, batch: int = BATCH) -> int:
    """Move recent chunks in committed batches until none is left or `budget_s` is spent, or
    all at once by a rebuild (bulk_merge) when the recent table is large (wants_bulk).
    Returns the number of chunks moved (0 on SQLite)."""
    if not applies():
        return 0
    s = db.session()
    if wants_bulk():
        moved = bulk_merge()
        s.commit()
        validate_foreign_key()
        s.commit()
        vacuum_recent()
        return moved
    return _in_batches(merge_batch, budget_s, batch)


def _in_batches(step, budget_s: float, batch: int) -> int:
    """Run `step(batch)` in committed transactions until it does less than a batch or `budget_s`
    is spent; returns the rows it handled."""
    s = db.session()
    done, start = 0, time.monotonic()
    while True:
        n = step(batch)
        s.commit()
        done += n
        if n < batch or time.monotonic() - start >= budget_s:
            return done


def wants_bulk() -> bool:
    """True when the recent table holds at least BULK_MIN chunks and BULK_SHARE of the main
    table's (the planner's row estimates: exact enough, and free)."""
    recent, main = db.session().execute(text(
        "SELECT (SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = 'search_chunks_recent'::regclass), "
        "       (SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = 'search_chunks'::regclass)")).one()
    if recent < BULK_MIN:  # estimates lag behind a fresh import until ANALYZE: count when in doubt
        recent = pending()
    return recent >= BULK_MIN and recent >= BULK_SHARE * main


def bulk_merge() -> int:
    """Move every recent chunk into search_chunks by rebuilding it: a new table with both
    tables' rows, the main table's indexes built on it, the views recreated over it, swapped in
    (the caller commits). Returns the chunks moved.

    Writers to search_chunks (a second merge, a removed version) wait for the rebuild: the lock
    is taken first. Rows added to the recent table meanwhile stay there for the next run; the
    moved ones are locked and deleted in this transaction, so a row is in exactly one table
    before and after. The indexes are rebuilt from their own definitions (RUM or GIN, as
    migration 0012 left them), under their own names."""
    moved, indexes = _build_next()
    _swap_in(indexes)
    return moved


def _build_next() -> tuple[int, list]:
    """The rebuild's long part: search_chunks locked against writers, the moved recent rows and
    the main rows copied into NEXT, the main table's indexes built there. Returns (chunks
    moved, [(index name, definition)]). Uploads go on (they write to the recent table), and
    readers read the old tables."""
    s = db.session()
    _with_memory(s)
    s.execute(text("LOCK TABLE search_chunks IN SHARE ROW EXCLUSIVE MODE"))
    indexes = s.execute(text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'search_chunks' "
                             "AND indexname <> 'pk_search_chunks'")).all()
    s.execute(text(f"DROP TABLE IF EXISTS {NEXT}"))
    s.execute(text(f"CREATE TABLE {NEXT} (version_id integer NOT NULL, chunk integer NOT NULL, "
                   f"tsv tsvector NOT NULL, past boolean NOT NULL DEFAULT false, "
                   f"CONSTRAINT pk_{NEXT} PRIMARY KEY (version_id, chunk))"))
    moved = s.execute(text(
        f"WITH moved AS (DELETE FROM search_chunks_recent WHERE ctid = ANY(ARRAY("
        f"  SELECT ctid FROM search_chunks_recent FOR UPDATE SKIP LOCKED)) RETURNING version_id, chunk, tsv) "
        f"INSERT INTO {NEXT} (version_id, chunk, tsv, past) SELECT version_id, chunk, tsv, {is_past('version_id')} "
        f"FROM moved")).rowcount
    # A pair in both tables (none is expected: a re-indexed version leaves both first) keeps
    # the recent row, as the batch move does.
    s.execute(text(f"INSERT INTO {NEXT} (version_id, chunk, tsv, past) SELECT version_id, chunk, tsv, "
                   f"{is_past('version_id')} FROM search_chunks ON CONFLICT (version_id, chunk) DO NOTHING"))
    for name, definition in indexes:
        s.execute(text(definition.replace(f" INDEX {name} ON public.search_chunks ",
                                          f" INDEX {name}_next ON public.{NEXT} ")))
    return moved, indexes


def _swap_in(indexes) -> None:
    """The rebuild's short part: NEXT takes search_chunks' place, names and foreign key (NOT
    VALID: its rows come from tables that had it, and checking them here would keep uploads
    waiting on the versions table's lock; validate_foreign_key checks them after the commit),
    and the view is made again over it. Readers wait only for this part."""
    s = db.session()
    fk = s.scalar(text("SELECT conname FROM pg_constraint WHERE conrelid = 'search_chunks'::regclass "
                       "AND contype = 'f'")) or "search_chunks_version_id_fkey"
    s.execute(text(f"ALTER TABLE {NEXT} ADD CONSTRAINT {fk}_next FOREIGN KEY (version_id) "
                   f"REFERENCES versions(id) ON DELETE CASCADE NOT VALID"))
    s.execute(text(f"DROP VIEW {ALL_VIEW}"))
    s.execute(text(f"DROP VIEW {PARTS_VIEW}"))
    s.execute(text("DROP TABLE search_chunks"))
    s.execute(text(f"ALTER TABLE {NEXT} RENAME TO search_chunks"))
    s.execute(text(f"ALTER TABLE search_chunks RENAME CONSTRAINT pk_{NEXT} TO pk_search_chunks"))
    s.execute(text(f"ALTER TABLE search_chunks RENAME CONSTRAINT {fk}_next TO {fk}"))
    for name, _ in indexes:
        s.execute(text(f"ALTER INDEX {name}_next RENAME TO {name}"))
    create_views(lambda sql: s.execute(text(sql)))
    s.execute(text("ANALYZE search_chunks"))


def validate_foreign_key() -> None:
    """Check the rows of a rebuilt search_chunks against versions (after bulk_merge's commit:
    this takes no lock that stops uploads). The caller commits."""
    s = db.session()
    for (name,) in s.execute(text("SELECT conname FROM pg_constraint WHERE conrelid = 'search_chunks'::regclass "
                                  "AND contype = 'f' AND NOT convalidated")).all():
        s.execute(text(f"ALTER TABLE search_chunks VALIDATE CONSTRAINT {name}"))


def vacuum_recent() -> None:
    """VACUUM (ANALYZE) the recent table after a rebuild emptied it, on a connection of its own
    (VACUUM runs outside a transaction). Its GIN index still lists every moved row until then,
    and autovacuum may come much later: measured at 200,000 versions, 400,000 dead rows made
    each query's look at the recent table take 22-53 ms instead of under 1 ms (one-word p50
    156 -> 97 ms in-process); the VACUUM took 28 s, taking no lock that stops uploads or reads."""
    with db.session().get_bind().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE) search_chunks_recent"))


def pending() -> int:
    """Chunks still in the recent table (0 on SQLite)."""
    if not applies():
        return 0
    return db.session().scalar(text("SELECT count(*) FROM search_chunks_recent"))


def mark_past(budget_s: float = BUDGET_S, batch: int = BATCH) -> int:
    """Mark the chunks of versions no longer current as past in committed batches, until none is
    left or `budget_s` is spent (pg_current). Returns how many were marked (0 on SQLite)."""
    if not applies():
        return 0
    return _in_batches(mark_batch, budget_s, batch)


def unmarked() -> int:
    """Chunks in search_chunks of versions no longer current, not yet marked past (0 on SQLite)."""
    if not applies():
        return 0
    s = db.session()
    _with_memory(s)
    return s.scalar(text(f"SELECT count(*) FROM search_chunks WHERE {_UNMARKED}"))


def job() -> dict:
    """The periodic job: {"moved": n, "marked": k, "left": m}: recent chunks moved, then chunks
    of superseded versions marked past with what is left of the budget."""
    start = time.monotonic()
    moved = merge()
    marked = mark_past(budget_s=max(1.0, BUDGET_S - (time.monotonic() - start)))
    return {"moved": moved, "marked": marked, "left": pending()}
