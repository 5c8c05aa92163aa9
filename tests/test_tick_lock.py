"""The SLA tick holds SQLite's write lock only for what it changes: it scans the open faults
before taking the lock, so a tick over many up-to-date faults keeps the lock as briefly as a
tick over a few (a tick over thousands of faults used to hold it for minutes, and every login,
upload and sign meanwhile waited out the 30 s busy timeout)."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from maintenance.tick import run_tick
from core import db

LOCK = "UPDATE alembic_version SET version_num = version_num WHERE 0"  # core.db.take_write_lock


def _statements_under_lock(app) -> int:
    engine = app.extensions["handover.db"].kw["bind"]
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_a):
        seen.append(statement)
    event.listen(engine, "before_cursor_execute", record)
    try:
        with app.app_context():
            report = run_tick()
            db.session().commit()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert not report.failed and report.escalated == 0
    return len(seen) - seen.index(LOCK) - 1


# SQLite only: PostgreSQL has row locks, the tick takes no database-wide lock there.
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_tick_with_nothing_to_change_holds_the_lock_for_the_same_few_statements(app, client, world, actions,
                                                                                  backend):
    actions.report_fault(who="client", project="P1", expect=201)
    actions.worker_ticks()
    few = _statements_under_lock(app)
    for _ in range(20):
        actions.report_fault(who="client", project="P1", expect=201)
    actions.worker_ticks()
    many = _statements_under_lock(app)
    assert many == few, f"statements under the write lock: {few} with 1 open fault, {many} with 21"
