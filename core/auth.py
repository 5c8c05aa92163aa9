"""Passwords (argon2id, every check throttled), API tokens (256 random bits, stored as sha256)
and the current user (API: bearer token; pages: a server-side session, core.sessions)."""
from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import g, request, session as web_session
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from core import db, sessions, throttle
from core.clock import now
from core.errors import Unauthorized, UserValueError
from core.models import ApiToken, User
from core.roles import ROLES

_hasher = PasswordHasher()  # argon2id, library defaults (64 MiB, t=3)
_dummy_hashes: dict[int, str] = {}  # per hasher (tests swap in a cheaper one)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _dummy_hash() -> str:
    """A hash of a random password made by the current hasher: unknown users cost the same."""
    key = id(_hasher)
    if key not in _dummy_hashes:
        _dummy_hashes[key] = _hasher.hash(secrets.token_urlsafe(16))
    return _dummy_hashes[key]


def _verify(stored: str, password: str) -> bool:
    """The raw argon2 check; never raises for a malformed stored hash. Callers: _checked only."""
    try:
        return _hasher.verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False


def _checked(user: User | None, username: str, password: str) -> bool:
    """THE password check: under the one throttle (core.throttle; raises throttle.Locked), and
    the same argon2 work whether or not the user exists, is active or has a password."""
    def check() -> bool:
        if user is None or not user.active or not user.password_hash:
            _verify(_dummy_hash(), password)
            return False
        return _verify(user.password_hash, password)
    return throttle.guarded(username, check)


def authenticate(username: str, password: str) -> User | None:
    """The active user with this username and password, or None (login)."""
    user = db.session().scalar(select(User).where(User.username == username)) if username else None
    return user if _checked(user, username, password) else None


def check_password(user: User, password: str) -> bool:
    """True when `password` is the logged-in `user`'s (re-entry to sign); throttled like login."""
    return _checked(user, user.username, password)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(user: User) -> str:
    """Revoke the user's live tokens and return a new one (shown once, stored hashed)."""
    s = db.session()
    for old in s.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))):
        old.revoked_at = now()
    token = secrets.token_urlsafe(32)
    s.add(ApiToken(user_id=user.id, token_hash=_token_hash(token), created_at=now()))
    s.flush()
    return token


def user_for_token(token: str) -> User | None:
    """The active user of a live token, or None. Records the token's last use in a short
    transaction of its own (before the request writes anything), at most every
    sessions.TOUCH_EVERY, as web sessions do."""
    row = db.session().scalar(  # the user in the same query (every /api/ call reads it)
        select(ApiToken).options(joinedload(ApiToken.user))
        .where(ApiToken.token_hash == _token_hash(token), ApiToken.revoked_at.is_(None)))
    if row is None or not row.user.active:
        return None
    at = now()
    if row.last_used_at is None or at - row.last_used_at >= sessions.TOUCH_EVERY:
        with db.engine().begin() as conn:
            conn.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=at))
        set_committed_value(row, "last_used_at", at)  # known to the session, not a pending change
    return row.user


def validate_role(role: str) -> str:
    if role not in ROLES:
        raise UserValueError(f"role must be one of {', '.join(ROLES)}", "invalid_role")
    return role


def api_user() -> User:
    """The user of an /api/ request from its bearer token, or 401."""
    if "api_user" in g:
        return g.api_user
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("A valid 'Authorization: Bearer <token>' header is required.")
    user = user_for_token(token.strip())
    if user is None:
        raise Unauthorized("The API token is invalid or revoked.")
    g.api_user = user
    return user


def web_user() -> User | None:
    """The logged-in user of a web page (its server-side session must exist), or None."""
    if "web_user" in g:
        return g.web_user
    user = sessions.user_of(web_session.get("sid"))
    g.web_user = user
    return user
