"""Server-side web sessions: the signed cookie carries a random id; the `sessions` row is the session.

A session exists only while its row does, so deleting rows ends sessions at once: logout
ends one, a password change, a role change or a deactivation ends all of a user's (on any
app server, since the rows are in the shared database). The row stores the id's sha256, so
a copy of the database lets no one take over a session.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, update

from core import db
from core.clock import now
from core.models import User, WebSession

TOUCH_EVERY = timedelta(minutes=5)  # last_seen is written at most this often per session


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode("utf-8")).hexdigest()


def start(user: User, ip: str) -> str:
    """Open a session for `user` in the request's transaction; returns the id for the cookie."""
    sid = secrets.token_urlsafe(32)
    at = now()
    db.session().add(WebSession(id=_digest(sid), user_id=user.id, created_at=at, last_seen=at, ip=(ip or "")[:64]))
    db.session().flush()
    return sid


def user_of(sid: object) -> User | None:
    """The active user of session id `sid`, or None (unknown, ended, or the user is inactive).

    Refreshes last_seen in a short transaction of its own (before the request writes
    anything), at most every TOUCH_EVERY, so page reads stay reads."""
    if not isinstance(sid, str) or not sid or len(sid) > 128:
        return None
    row = db.session().get(WebSession, _digest(sid))
    if row is None or not row.user.active:
        return None
    at = now()
    if at - row.last_seen >= TOUCH_EVERY:
        with db.engine().begin() as conn:
            conn.execute(update(WebSession).where(WebSession.id == row.id).values(last_seen=at))
    return row.user


def end(sid: object) -> None:
    """End one session (logout), in the request's transaction."""
    if isinstance(sid, str) and sid:
        db.session().execute(delete(WebSession).where(WebSession.id == _digest(sid)))


def end_all(user: User) -> int:
    """End every session of `user` (password, role or active changed); returns how many."""
    res = db.session().execute(delete(WebSession).where(WebSession.user_id == user.id))
    return res.rowcount or 0
