"""Empty databases for migration tests, and one at revision 0003 (before sessions and the keyed
audit chain), to test migration 0004."""
from __future__ import annotations

from contextlib import contextmanager

from alembic import command
from sqlalchemy import text

from conftest import PG_URL
from core.db import make_engine
from core.migrate import alembic_config


def empty_database(backend: str, tmp_path, sqlite_name: str):
    """(engine, url) of an empty database: PostgreSQL's test database with its schema rebuilt
    (migration tests leave it at head, as the other tests expect), or a new SQLite file."""
    if backend == "postgresql":
        engine = make_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        return engine, PG_URL
    url = f"sqlite:///{tmp_path / sqlite_name}"
    return make_engine(url), url


def migration_steps(engine, url: str):
    """run(step, revision): alembic's command.upgrade or command.downgrade to `revision`, in a
    transaction of `engine` (the database at `url`)."""
    cfg = alembic_config(url)

    def run(step, revision: str) -> None:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            step(cfg, revision)
    return run


def leave_at_head(engine, run, pg: bool, tables: str = "") -> None:
    """End of a migration test: empty `tables` on PostgreSQL (rows the test wrote below the
    surface), bring the database back to head (the other tests expect PostgreSQL's there) and
    dispose of the engine."""
    if pg and tables:
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables}"))
    run(command.upgrade, "head")
    engine.dispose()


@contextmanager
def database_at_0003(backend: str, tmp_path):
    """Yield (engine, url, upgrade_to_head) for an empty database migrated to 0003 only.

    PostgreSQL: the test database's schema is rebuilt; it is left at head, as the other
    tests expect it (they empty the tables themselves)."""
    engine, url = empty_database(backend, tmp_path, "migrated.db")
    run = migration_steps(engine, url)

    def to(revision: str) -> None:
        run(command.upgrade, revision)

    to("0003_text_extraction")
    try:
        yield engine, url, lambda: to("head")
    finally:
        if backend == "postgresql":
            to("head")
        engine.dispose()
