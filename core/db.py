"""Engine, sessions and the declarative base.

One engine per app (app.extensions["handover.db"]); one session per app context,
committed by the request (see app.py) and rolled back on error. Operations only flush.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

from flask import Flask, current_app, g
from sqlalchemy import DateTime, MetaData, create_engine, event, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from core.clock import now

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes stored as UTC on every backend (SQLite has no tz)."""
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def _sqlite_pragmas(dbapi_conn, _record):
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str) -> Engine:
    """Create the engine; SQLite gets WAL, a busy timeout and foreign keys."""
    if url.startswith("sqlite"):
        # A request may hold two connections at once (its session, plus the short transactions of
        # the password throttle and the session touch), so a bounded pool deadlocks once threads
        # x 2 exceed it (the development server has a thread per connection: 50 concurrent logins
        # waited 30 s and failed). SQLite connections are cheap file handles: keep 10, open more
        # on demand; the server's thread count is the bound.
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                               pool_size=10, max_overflow=-1)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(url, pool_pre_ping=True, pool_size=20, max_overflow=20)


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["handover.db"] = sessionmaker(bind=engine, expire_on_commit=False)

    @app.teardown_appcontext
    def _close(exc):
        session = g.pop("db_session", None)
        if session is not None:
            if exc is not None:
                session.rollback()
            session.close()


def engine() -> Engine:
    return current_app.extensions["handover.db"].kw["bind"]


def session() -> Session:
    """The session of the current app context."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["handover.db"]()
    return g.db_session


def lock_row(column, row_id: int) -> None:
    """Take the write lock on one row by an UPDATE that changes nothing (`column` = itself).

    As the first write of a transaction it makes concurrent writers queue: a row lock on
    PostgreSQL, the database write lock on SQLite (pysqlite begins at the first write, so
    earlier reads hold no snapshot that could go stale)."""
    model = column.class_
    session().execute(update(model).where(model.id == row_id).values({column.key: column})
                      .execution_options(synchronize_session=False))


def next_in_sequence(column, row_id: int) -> int:
    """Increment a per-row counter under that row's lock and return the new value
    (no gaps, no duplicates under concurrent writers; the rollback undoes it)."""
    model = column.class_
    s = session()
    s.execute(update(model).where(model.id == row_id).values({column.key: column + 1})
              .execution_options(synchronize_session=False))
    return s.scalar(select(column).where(model.id == row_id))


def can_copy() -> bool:
    """Whether copy_rows works here: PostgreSQL through psycopg 3 (make_engine's driver)."""
    return session().get_bind().dialect.driver == "psycopg"


def copy_rows(table: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
    """Write `rows` into `table` with one COPY on the session's connection, in its transaction
    (psycopg 3 only: can_copy). The session is flushed first: COPY bypasses the ORM, so the
    rows the copied ones refer to must be in the database. `rows` may be a generator: it is
    consumed while the server reads, so the caller's work on the next row overlaps it."""
    s = session()
    s.flush()
    conn = s.connection().connection.driver_connection
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def take_write_lock() -> None:
    """Start the current transaction as a writer, before it reads anything.

    On SQLite (WAL) a transaction that reads and then writes fails at once with "database is
    locked" when another writer committed in between (a stale snapshot cannot be upgraded);
    taking the write lock first makes a concurrent writer wait (busy timeout) instead. A
    no-op on PostgreSQL, whose row locks already wait."""
    s = session()
    if s.get_bind().dialect.name == "sqlite":
        # A write statement takes SQLite's write lock even when it matches no row.
        s.execute(text("UPDATE alembic_version SET version_num = version_num WHERE 0"))


def utcnow() -> datetime:
    return now()
