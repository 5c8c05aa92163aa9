"""Passwords (argon2id), API tokens (256 random bits, stored as sha256) and the current user."""
from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import g, request, session as web_session
from sqlalchemy import select

from core import db
from core.clock import now
from core.errors import Unauthorized, UserValueError
from core.models import ROLES, ApiToken, User

_hasher = PasswordHasher()  # argon2id, library defaults (64 MiB, t=3)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: User, password: str) -> bool:
    """True when `password` matches; never raises for a malformed stored hash."""
    if not user.password_hash or not password:
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


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
    row = db.session().scalar(
        select(ApiToken).where(ApiToken.token_hash == _token_hash(token), ApiToken.revoked_at.is_(None)))
    if row is None or not row.user.active:
        return None
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
    """The logged-in user of a web page (session cookie), or None."""
    if "web_user" in g:
        return g.web_user
    uid = web_session.get("uid")
    user = db.session().get(User, uid) if isinstance(uid, int) else None
    if user is not None and (not user.active or web_session.get("pwv") != user.password_hash[-16:]):
        user = None
    g.web_user = user
    return user
