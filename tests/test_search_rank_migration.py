"""Migration 0012 (issue 17): on PostgreSQL with rum installed, the extension and the RUM index
on search_chunks instead of GIN; nothing elsewhere; the downgrade puts it back as it was."""
from __future__ import annotations

from alembic import command
from sqlalchemy import text

from migration_support import empty_database, migration_steps


def _state(engine) -> tuple[bool, bool, bool]:
    """(rum extension created, RUM index present, GIN index present) in the database."""
    with engine.connect() as conn:
        if engine.dialect.name != "postgresql":
            names = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master"))}
            return False, "ix_search_chunks_rum" in names, "ix_search_chunks_tsv" in names
        ext = conn.scalar(text("SELECT count(*) FROM pg_extension WHERE extname = 'rum'")) == 1
        defs = dict(conn.execute(text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'search_chunks'")).all())
        return (ext, "USING rum (tsv" in defs.get("ix_search_chunks_rum", ""),
                "USING gin (tsv)" in defs.get("ix_search_chunks_tsv", ""))


def test_0012_rum_index_up_and_down(backend, tmp_path):
    engine, url = empty_database(backend, tmp_path, "at0011.db")
    available = False
    if backend == "postgresql":
        with engine.connect() as conn:
            available = conn.scalar(text("SELECT count(*) FROM pg_available_extensions WHERE name = 'rum'")) == 1
    before = (False, False, backend == "postgresql")  # 0002: GIN on PostgreSQL, FTS5 on SQLite
    after = (available, available, backend == "postgresql" and not available)
    run = migration_steps(engine, url)

    try:
        run(command.upgrade, "0011_import")
        assert _state(engine) == before
        run(command.upgrade, "0012_search_rank")
        assert _state(engine) == after
        run(command.downgrade, "0011_import")
        assert _state(engine) == before
        run(command.upgrade, "0012_search_rank")  # again: the same as the first time
        assert _state(engine) == after
    finally:
        run(command.upgrade, "head")  # PostgreSQL: the other tests expect the test database at head
        engine.dispose()
