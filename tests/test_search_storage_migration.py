"""Migration 0014 (issue 17): on PostgreSQL the recent-chunks table and the view over both
chunk tables; the downgrade moves recent chunks back into search_chunks (nothing is lost) and
drops both. SQLite: nothing changes."""
from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from core.migrate import alembic_config
from migration_support import empty_database, leave_at_head, migration_steps


def _state(engine) -> tuple[bool, bool]:
    """(recent table present, view present)."""
    insp = inspect(engine)
    return "search_chunks_recent" in insp.get_table_names(), "search_chunks_all" in insp.get_view_names()


def test_0014_recent_chunks_up_and_down(backend, tmp_path):
    engine, url = empty_database(backend, tmp_path, "at0013.db")
    cfg = alembic_config(url)  # the downgrade below runs in a transaction of its own
    run = migration_steps(engine, url)
    pg = backend == "postgresql"

    try:
        run(command.upgrade, "0013_latest_version_index")
        assert _state(engine) == (False, False)
        run(command.upgrade, "0014_search_storage")
        assert _state(engine) == (pg, pg)
        if pg:
            with engine.begin() as conn:  # chunks of a version id that no table holds: the FK is not the point here
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                conn.execute(text("INSERT INTO search_chunks (version_id, chunk, tsv) VALUES (7, 0, 'a:1')"))
                conn.execute(text("INSERT INTO search_chunks_recent (version_id, chunk, tsv) "
                                  "VALUES (7, 1, 'b:1'), (8, 0, 'c:1')"))
                assert conn.scalar(text("SELECT count(*) FROM search_chunks_all")) == 3
            with engine.begin() as conn:
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                cfg.attributes["connection"] = conn
                command.downgrade(cfg, "0013_latest_version_index")
            with engine.connect() as conn:
                assert sorted(conn.execute(text("SELECT version_id, chunk, tsv::text FROM search_chunks")).all()) == [
                    (7, 0, "'a':1"), (7, 1, "'b':1"), (8, 0, "'c':1")]
        else:
            run(command.downgrade, "0013_latest_version_index")
        assert _state(engine) == (False, False)
        run(command.upgrade, "0014_search_storage")
        assert _state(engine) == (pg, pg)
    finally:
        leave_at_head(engine, run, pg, "search_chunks")
