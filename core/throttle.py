"""The one password throttle: every password check (login, the sign form, any later one) passes here.

Policy (today's numbers): after FREE_FAILURES failed checks in a row for one (username,
address) pair, that pair is locked for 30 s, doubling with each further failure (capped at
15 min); after ACCOUNT_FREE_FAILURES failures for one username from any address, the
account is locked the same way for every address. During a lock the password is not even
checked; a success clears both counters. Failures are forgotten FAIL_MEMORY after the first.

The counters never live in one process's memory, so several workers and app servers count
together:
- `HANDOVER_REDIS_URL` set: a `limits` storage (RedisStorage; its INCR+EXPIRE Lua script makes
  each increment atomic), the store Flask-Limiter uses.
- unset (embedded default): the `throttle_counters` table of the application's database.
  `limits` has no SQLite storage, and its memory storage is per process; the database is the
  one store every process and app server of a deployment already shares (the SQLite file on
  one machine, PostgreSQL for several), it is written only on a failed password (rare), and
  each write is one atomic upsert in its own short transaction, so it survives the request's
  rollback.
Both stores offer the same three `limits` storage operations (incr with expiry, get, clear);
the policy is written once on top. Lock times are kept as values read against core.clock.now
(not as key lifetimes), so tests move the clock on either store and never sleep.
"""
from __future__ import annotations

import hashlib
import math
from datetime import timedelta

from flask import Flask, current_app, has_request_context, request
from limits.errors import StorageError
from limits.storage import storage_from_string
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import case

from core import db
from core.clock import now
from core.errors import HandoverError
from core.models import ThrottleCounter

FREE_FAILURES = 3
ACCOUNT_FREE_FAILURES = 5
BASE_LOCK = timedelta(seconds=30)
MAX_LOCK = timedelta(minutes=15)
FAIL_MEMORY = timedelta(hours=24)
PREFIX = "handover:pw:"


class Locked(HandoverError):
    """Too many failed passwords: no check until `wait` seconds have passed."""
    status, code = 429, "too_many_attempts"

    def __init__(self, wait: int):
        super().__init__(f"Too many failed passwords; try again in {wait} s.")
        self.wait = wait


class ThrottleUnavailable(HandoverError):
    """The shared store does not answer: refuse rather than check passwords unthrottled."""
    status, code = 503, "throttle_unavailable"


class DatabaseStore:
    """Expiring counters in the `throttle_counters` table (limits' storage interface)."""

    def _insert(self):
        return postgresql.insert if db.engine().dialect.name == "postgresql" else sqlite.insert

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        t, at = ThrottleCounter, now()
        until = at + timedelta(seconds=expiry)
        stmt = self._insert()(t).values(key=key, value=amount, expires_at=until)
        stale = t.expires_at <= at
        stmt = stmt.on_conflict_do_update(index_elements=[t.key], set_={
            "value": case((stale, amount), else_=t.value + amount),
            "expires_at": case((stale, until), else_=t.expires_at)}).returning(t.value)
        with db.engine().begin() as conn:
            value = conn.execute(stmt).scalar_one()
            conn.execute(delete(t).where(t.expires_at <= at))  # forget old counters as we go
        return int(value)

    def get(self, key: str) -> int:
        t = ThrottleCounter
        with db.engine().connect() as conn:
            value = conn.execute(select(t.value).where(t.key == key, t.expires_at > now())).scalar()
        return int(value or 0)

    def clear(self, key: str) -> None:
        with db.engine().begin() as conn:
            conn.execute(delete(ThrottleCounter).where(ThrottleCounter.key == key))


class LimitsStore:
    """A `limits` storage (Redis when HANDOVER_REDIS_URL is set); its errors become 503."""

    def __init__(self, uri: str):
        self.storage = storage_from_string(uri, wrap_exceptions=True, socket_timeout=5,
                                           socket_connect_timeout=5)

    def _call(self, name: str, *args, **kw):
        try:
            return getattr(self.storage, name)(*args, **kw)
        except (StorageError, OSError) as exc:
            raise ThrottleUnavailable("The shared login-throttle store (Redis) does not answer; "
                                      "try again shortly.") from exc

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return int(self._call("incr", key, expiry, amount=amount))

    def get(self, key: str) -> int:
        return int(self._call("get", key) or 0)

    def clear(self, key: str) -> None:
        self._call("clear", key)


def _lock_seconds(failures: int, free: int) -> int:
    return int(min(BASE_LOCK * (2 ** (failures - free)), MAX_LOCK).total_seconds())


class Throttle:
    """The policy over a store. A failure is counted with an atomic increment; the n-th
    failure past the free ones also writes its time under a key of its own (`…:at:n`), so
    concurrent failures never overwrite each other's lock."""

    def __init__(self, store):
        self.store = store

    @staticmethod
    def _keys(username: str, ip: str) -> list[tuple[str, int]]:
        name = hashlib.sha256(username.strip().lower().encode("utf-8")).hexdigest()[:32]
        ip = (ip or "-")[:64]
        return [(f"{PREFIX}pair:{name}:{ip}", FREE_FAILURES), (f"{PREFIX}acct:{name}", ACCOUNT_FREE_FAILURES)]

    def locked_for(self, username: str, ip: str) -> int:
        """Seconds until this username may try again from `ip` (0 = now)."""
        t = now().timestamp()
        wait = 0.0
        for key, free in self._keys(username, ip):
            n = self.store.get(key)
            if n >= free:
                at = self.store.get(f"{key}:at:{n}")
                if at:
                    wait = max(wait, at + _lock_seconds(n, free) - t)
        return max(0, math.ceil(wait))

    def failed(self, username: str, ip: str) -> None:
        t = int(now().timestamp())
        for key, free in self._keys(username, ip):
            n = self.store.incr(key, int(FAIL_MEMORY.total_seconds()))
            if n >= free:
                at_key, expiry = f"{key}:at:{n}", _lock_seconds(n, free) + 60
                if self.store.incr(at_key, expiry, amount=t) != t:  # a leftover of an earlier run
                    self.store.clear(at_key)
                    self.store.incr(at_key, expiry, amount=t)

    def succeeded(self, username: str, ip: str) -> None:
        for key, free in self._keys(username, ip):
            n = self.store.get(key)
            self.store.clear(key)
            for i in range(free, n + 1):  # at most one per lock period: a few dozen a day
                self.store.clear(f"{key}:at:{i}")


def init_app(app: Flask) -> None:
    """Pick the store once per app: Redis through `limits`, else the database."""
    url = app.config.get("HANDOVER_REDIS_URL") or ""
    app.extensions["handover.throttle"] = Throttle(LimitsStore(url) if url else DatabaseStore())


def get_throttle() -> Throttle:
    return current_app.extensions["handover.throttle"]


def client_address() -> str:
    """The caller's address (the client's behind a trusted proxy: ProxyFix set it)."""
    return (request.remote_addr or "") if has_request_context() else "cli"


def guarded(username: str, check) -> bool:
    """Run the password check `check()` under the throttle for `username` from this address:
    raise Locked while locked (without checking), count a failure, clear on success."""
    throttle, ip = get_throttle(), client_address()
    wait = throttle.locked_for(username, ip)
    if wait:
        raise Locked(wait)
    ok = bool(check())
    if ok:
        throttle.succeeded(username, ip)
    else:
        throttle.failed(username, ip)
    return ok
