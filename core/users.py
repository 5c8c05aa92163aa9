"""Operations on users and project membership."""
from __future__ import annotations

import re

from sqlalchemy import select

from core import audit, db
from core.auth import hash_password, issue_token, validate_role
from core.clock import now
from core.errors import Conflict, NotFound, UserValueError
from core.models import User

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")


def create_user(username: str, role: str, *, password: str | None = None, display_name: str = "",
                organisation: str = "", email: str = "", phone: str = "", actor: User | None = None) -> tuple[User, str]:
    """Create an account and its first API token; returns (user, token)."""
    if not USERNAME_RE.match(username or ""):
        raise UserValueError("Username: 2-64 letters, digits, '_', '.', '-'.", "invalid_username")
    validate_role(role)
    s = db.session()
    if s.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"User '{username}' exists.", "user_exists")
    if password is not None and len(password) < 8:
        raise UserValueError("The password must have at least 8 characters.", "weak_password")
    user = User(username=username, role=role, display_name=display_name or username, organisation=organisation,
                email=email, phone=phone, password_hash=hash_password(password) if password else "",
                created_at=now())
    s.add(user)
    s.flush()
    token = issue_token(user)
    audit.record("user.create", actor, object_type="user", object_id=user.id, username=username, role=role)
    return user, token


def get_user(username: str) -> User:
    user = db.session().scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"No user '{username}'.", "user_not_found")
    return user


def set_password(user: User, password: str, actor: User | None = None) -> None:
    if len(password or "") < 8:
        raise UserValueError("The password must have at least 8 characters.", "weak_password")
    user.password_hash = hash_password(password)
    audit.record("user.password", actor, object_type="user", object_id=user.id)


def reset_token(user: User, actor: User | None = None) -> str:
    """Issue a new API token for `user`, revoking the old one."""
    token = issue_token(user)
    audit.record("user.token", actor, object_type="user", object_id=user.id)
    return token


def update_user(user: User, actor: User, *, role: str | None = None, active: bool | None = None,
                display_name: str | None = None) -> User:
    if role is not None:
        user.role = validate_role(role)
    if active is not None:
        user.active = active
    if display_name is not None:
        user.display_name = display_name
    audit.record("user.update", actor, object_type="user", object_id=user.id, role=user.role, active=user.active)
    return user
