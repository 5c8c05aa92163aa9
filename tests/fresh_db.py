"""Fresh PostgreSQL test databases in milliseconds: put every table back to a captured state
(empty, or the `world` fixture's users and projects) instead of TRUNCATE-ing them (which
creates new files for every table and index, ~0.3-1 s) and building the state again.

Three statements: one DELETE of every table, one INSERT of every captured row, one setval
of every sequence. Each is a single statement of data-modifying CTEs, so foreign keys
(checked at the end of a statement) never see a half-emptied or half-filled database.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.engine import Engine

from core.db import make_engine

KEEP = ("alembic_version",)


@dataclass(frozen=True)
class PgState:
    """The rows (as JSON text, per table that has any) and sequence positions of a database."""
    rows: dict[str, tuple[list[str], str]] = field(default_factory=dict)  # table -> (columns, json)
    sequences: dict[str, tuple[int, int | None]] = field(default_factory=dict)  # name -> (start, last)


@functools.lru_cache(maxsize=None)
def engine(url: str) -> Engine:
    """One engine per URL for the whole session (no connect per test)."""
    return make_engine(url)


def _tables(conn) -> list[str]:
    return [r[0] for r in conn.execute(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")) if r[0] not in KEEP]


def capture(url: str) -> PgState:
    """The current contents of every table (but alembic_version) and every sequence."""
    with engine(url).begin() as conn:
        rows = {}
        for t in _tables(conn):
            data = conn.execute(text(f'SELECT json_agg(x)::text FROM "{t}" x')).scalar()
            if data is not None:
                cols = [r[0] for r in conn.execute(text(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
                    "AND table_name = :t AND is_generated = 'NEVER' ORDER BY ordinal_position"), {"t": t})]
                rows[t] = (cols, data)
        sequences = {f'"{name}"': (start, last) for name, start, last in conn.execute(text(
            "SELECT sequencename, start_value, last_value FROM pg_sequences WHERE schemaname = 'public'"))}
    return PgState(rows, sequences)


def restore(url: str, state: PgState | None = None) -> None:
    """Empty every table (but alembic_version), then put `state` back; with no state, the
    database is as after TRUNCATE ... RESTART IDENTITY."""
    state = state or PgState()
    with engine(url).begin() as conn:
        tables = _tables(conn)
        if tables:
            conn.execute(text("WITH " + ", ".join(f'd{i} AS (DELETE FROM "{t}")' for i, t in enumerate(tables))
                              + " SELECT 1"))
        if state.rows:
            parts, params = [], {}
            for i, (t, (cols, data)) in enumerate(state.rows.items()):
                names = ", ".join(f'"{c}"' for c in cols)
                parts.append(f'i{i} AS (INSERT INTO "{t}" ({names}) SELECT {names} '
                             f'FROM json_populate_recordset(NULL::"{t}", CAST(:r{i} AS json)))')
                params[f"r{i}"] = data
            conn.execute(text("WITH " + ", ".join(parts) + " SELECT 1"), params)
        sequences = state.sequences or {f'"{name}"': (start, None) for name, start in conn.execute(text(
            "SELECT sequencename, start_value FROM pg_sequences WHERE schemaname = 'public'"))}
        if sequences:
            conn.execute(text("SELECT " + ", ".join(
                f"setval('{name}', {start}, false)" if last is None else f"setval('{name}', {last}, true)"
                for name, (start, last) in sequences.items())))
