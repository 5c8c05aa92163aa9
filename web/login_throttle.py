"""Slowing down password guessing: a per (username, IP) failure counter kept in memory.

After FREE_FAILURES failed logins in a row, the pair is locked for a window that
doubles with each further failure (30 s, 60 s, 120 s ... capped at 15 min). During a
lock every attempt is refused without checking the password; a success clears the
counter. Times come from core.clock.now (tests move the clock, never sleep). The state
is per process (a restart forgets it; several workers each count on their own), which
is enough to turn a password-guessing run into hours.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app

from core.clock import now

FREE_FAILURES = 3
BASE_LOCK = timedelta(seconds=30)
MAX_LOCK = timedelta(minutes=15)
MAX_KEYS = 10_000


@dataclass
class _State:
    failures: int = 0
    locked_until: datetime | None = None


class Throttle:
    def __init__(self):
        self._lock = threading.Lock()
        self._states: dict[tuple[str, str], _State] = {}

    @staticmethod
    def key(username: str, ip: str) -> tuple[str, str]:
        return (username.strip().lower()[:64], ip or "")

    def locked_for(self, username: str, ip: str) -> int:
        """Seconds until this pair may try again (0 = now)."""
        with self._lock:
            st = self._states.get(self.key(username, ip))
            if st is None or st.locked_until is None:
                return 0
            left = (st.locked_until - now()).total_seconds()
            return max(0, int(left + 0.999))

    def failed(self, username: str, ip: str) -> None:
        with self._lock:
            if len(self._states) > MAX_KEYS:  # a flood of names must not grow memory forever
                self._states.clear()
            st = self._states.setdefault(self.key(username, ip), _State())
            st.failures += 1
            if st.failures >= FREE_FAILURES:
                lock = min(BASE_LOCK * (2 ** (st.failures - FREE_FAILURES)), MAX_LOCK)
                st.locked_until = now() + lock

    def succeeded(self, username: str, ip: str) -> None:
        with self._lock:
            self._states.pop(self.key(username, ip), None)


def get_throttle() -> Throttle:
    return current_app.extensions.setdefault("handover.login_throttle", Throttle())
