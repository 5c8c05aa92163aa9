"""Operations on users and project membership."""
from __future__ import annotations

import re

from sqlalchemy import select, update

from core import audit, db, sessions
from core.auth import hash_password, issue_token, validate_role
from core.clock import now
from core.decision import may_manage_users, require
from core.errors import Conflict, NotFound, UserValueError
from core.models import ApiToken, User

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")


def create_user(username: str, role: str, *, password: str | None = None, display_name: str = "",
                organisation: str = "", email: str = "", phone: str = "", actor: User | None = None) -> tuple[User, str]:
    """Create an account and its first API token; returns (user, token). Admin only
    (actor None: the command line)."""
    require(may_manage_users(actor))
    if not USERNAME_RE.match(username or ""):
        raise UserValueError("Username: 2-64 letters, digits, '_', '.', '-'.", "invalid_username")
    validate_role(role)
    s = db.session()
    if s.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"User '{username}' exists.", "user_exists", username=username)
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
        raise NotFound(f"No user '{username}'.", "user_not_found", username=username)
    return user


def set_password(user: User, password: str, actor: User | None = None) -> None:
    """Set `user`'s password and end his web sessions (admin only; actor None: the command line)."""
    require(may_manage_users(actor))
    if len(password or "") < 8:
        raise UserValueError("The password must have at least 8 characters.", "weak_password")
    user.password_hash = hash_password(password)
    ended = sessions.end_all(user)  # every browser logged in with the old password
    audit.record("user.password", actor, object_type="user", object_id=user.id, sessions_ended=ended)


def reset_token(user: User, actor: User | None = None) -> str:
    """Issue a new API token for `user`, revoking the old one (admin only; actor None: the command line)."""
    require(may_manage_users(actor))
    token = issue_token(user)
    audit.record("user.token", actor, object_type="user", object_id=user.id)
    return token


def revoke_tokens(user: User) -> int:
    """Revoke every live API token of `user`; returns how many."""
    res = db.session().execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                               .values(revoked_at=now()))
    return res.rowcount or 0


def update_user(user: User, actor: User, *, role: str | None = None, active: bool | None = None,
                display_name: str | None = None) -> User:
    """Change role, active flag or name. A role change or a deactivation ends the user's web
    sessions at once; a deactivation also revokes his API tokens for good (a reactivated user
    needs a new token: `flask user token` or the admin page). Admin only."""
    require(may_manage_users(actor))
    ended = revoked = 0
    if role is not None:
        role = validate_role(role)
        if role != user.role:
            user.role = role
            ended = sessions.end_all(user)
    if active is not None and active != user.active:
        user.active = active
        if not active:
            ended = sessions.end_all(user)
            revoked = revoke_tokens(user)
    if display_name is not None:
        user.display_name = display_name
    extra = {k: v for k, v in (("sessions_ended", ended), ("tokens_revoked", revoked)) if v}
    audit.record("user.update", actor, object_type="user", object_id=user.id, role=user.role, active=user.active,
                 **extra)
    return user
