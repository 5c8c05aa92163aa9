"""A database at revision 0003 (before sessions and the keyed audit chain), to test migration 0004."""
from __future__ import annotations

from contextlib import contextmanager

from alembic import command
from sqlalchemy import text

from conftest import PG_URL
from core.db import make_engine
from core.migrate import alembic_config


@contextmanager
def database_at_0003(backend: str, tmp_path):
    """Yield (engine, url, upgrade_to_head) for an empty database migrated to 0003 only.

    PostgreSQL: the test database's schema is rebuilt; it is left at head, as the other
    tests expect it (they empty the tables themselves)."""
    if backend == "postgresql":
        url = PG_URL
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        url = f"sqlite:///{tmp_path / 'migrated.db'}"
        engine = make_engine(url)
    cfg = alembic_config(url)

    def to(revision: str) -> None:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)

    to("0003_text_extraction")
    try:
        yield engine, url, lambda: to("head")
    finally:
        if backend == "postgresql":
            to("head")
        engine.dispose()
