"""The SQLite connection pool never makes a thread wait: a request may hold two connections at
once (its session and a short side transaction: throttle, session touch), and the development
server runs a thread per connection, so a bounded pool deadlocked under 50 concurrent logins
(every thread holding one connection, waiting 30 s for a second: QueuePool TimeoutError)."""
from __future__ import annotations

from contextlib import ExitStack

import pytest
from sqlalchemy import text


# SQLite only: the PostgreSQL pool is bounded on purpose (server connections are costly).
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sqlite_pool_opens_more_connections_instead_of_waiting(app, backend):
    engine = app.extensions["handover.db"].kw["bind"]
    engine.pool._timeout = 1  # the old bounded pool would fail here after 1 s instead of 30 s
    with ExitStack() as stack:
        conns = [stack.enter_context(engine.connect()) for _ in range(60)]
        assert all(c.execute(text("SELECT 1")).scalar() == 1 for c in conns)
