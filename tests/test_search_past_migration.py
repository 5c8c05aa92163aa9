"""Migration 0016 (issue 17): on PostgreSQL search_chunks gets its `past` column, marked for
the chunks of versions that are no longer current, its RUM indexes become partial and the view
search_chunks_parts appears; the downgrade puts back one index over every chunk and the old
view, losing no chunk. SQLite: nothing changes."""
from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from migration_support import empty_database, leave_at_head, migration_steps


def _state(engine) -> tuple[bool, bool]:
    """(past column present, parts view present)."""
    insp = inspect(engine)
    columns = {c["name"] for c in insp.get_columns("search_chunks")} if insp.has_table("search_chunks") else set()
    return "past" in columns, "search_chunks_parts" in insp.get_view_names()


def _indexes(engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT indexname, indexdef FROM pg_indexes "
                                      "WHERE tablename = 'search_chunks'")).all())


def test_0016_past_chunks_up_and_down(backend, tmp_path):
    engine, url = empty_database(backend, tmp_path, "at0015.db")
    run = migration_steps(engine, url)
    pg = backend == "postgresql"
    try:
        run(command.upgrade, "0015_search_newest")
        assert _state(engine) == (False, False)
        if pg:
            rum = "ix_search_chunks_rum" in _indexes(engine)
            with engine.begin() as conn:  # chunks of versions no deliverable holds: none is current
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                conn.execute(text("INSERT INTO search_chunks (version_id, chunk, tsv) VALUES (7, 0, 'a:1'), (7, 1, 'b:1')"))
                conn.execute(text("INSERT INTO search_chunks_recent (version_id, chunk, tsv) VALUES (8, 0, 'c:1')"))
        run(command.upgrade, "0016_search_past")
        assert _state(engine) == (pg, pg)
        if pg:
            with engine.connect() as conn:
                assert conn.execute(text("SELECT version_id, chunk, past FROM search_chunks ORDER BY chunk")).all() == [
                    (7, 0, True), (7, 1, True)]
                assert conn.scalar(text("SELECT count(*) FROM search_chunks_all WHERE NOT past")) == 1  # the recent one
                assert conn.scalar(text("SELECT count(*) FROM search_chunks_parts")) == 3
            if rum:
                defs = _indexes(engine)
                assert defs["ix_search_chunks_rum"].endswith("WHERE (NOT past)")
                assert defs["ix_search_chunks_past"].endswith("WHERE past")
                assert "WHERE (past AND (version_id > 0))" in defs["ix_search_chunks_past_newest"]
        run(command.downgrade, "0015_search_newest")
        assert _state(engine) == (False, False)
        if pg:
            with engine.connect() as conn:
                assert conn.scalar(text("SELECT count(*) FROM search_chunks_all")) == 3
            if rum:
                defs = _indexes(engine)
                assert "WHERE" not in defs["ix_search_chunks_rum"] and "ix_search_chunks_past" not in defs
                assert "ix_search_chunks_past_newest" not in defs
        run(command.upgrade, "0016_search_past")
        assert _state(engine) == (pg, pg)
    finally:
        leave_at_head(engine, run, pg, "search_chunks, search_chunks_recent")
