"""Operations on users and project membership."""
from __future__ import annotations

import re

from sqlalchemy import select, update

from core import audit, db, sessions
from core.auth import hash_password, issue_token, validate_role
from core.clock import now
from core.decision import may_manage_tokens, may_manage_users, require
from core.errors import Conflict, NotFound, UserValueError
from core.models import ApiToken, User
from core.roles import ADMIN

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")
EMAIL_RE = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


def clean_email(value: str | None) -> str:
    """'' or a plausible e-mail address of at most 200 characters (where notifications go),
    else UserValueError (400)."""
    value = (value or "").strip()
    if value and (len(value) > 200 or not EMAIL_RE.match(value)):
        raise UserValueError("'email' is not a valid e-mail address.", "invalid_email")
    return value


def create_user(username: str, role: str, *, password: str | None = None, display_name: str = "",
                organisation: str = "", email: str = "", phone: str = "", actor: User | None = None) -> tuple[User, str]:
    """Create an account and its first API token; returns (user, token). Admin only
    (actor None: the command line)."""
    require(may_manage_users(actor))
    if not USERNAME_RE.match(username or ""):
        raise UserValueError("Username: 2-64 letters, digits, '_', '.', '-'.", "invalid_username")
    validate_role(role)
    email = clean_email(email)
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
                display_name: str | None = None, email: str | None = None,
                organisation: str | None = None) -> User:
    """Change role, active flag or name. A role change or a deactivation ends the user's web
    sessions at once; a deactivation also revokes his API tokens for good (a reactivated user
    needs a new token: `flask user token` or the admin page). Admin only. The last active
    admin is neither demoted nor disabled (409 last_admin), whoever asks."""
    require(may_manage_users(actor))
    ended = revoked = 0
    if role is not None:
        role = validate_role(role)
    if user.role == ADMIN and user.active and ((role is not None and role != ADMIN) or active is False):
        _keep_an_admin(user)
    if role is not None:
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
    if email is not None:
        user.email = clean_email(email)
    if organisation is not None:
        user.organisation = organisation.strip()[:200]
    extra = {k: v for k, v in (("sessions_ended", ended), ("tokens_revoked", revoked)) if v}
    audit.record("user.update", actor, object_type="user", object_id=user.id, role=user.role, active=user.active,
                 **extra)
    return user


def last_admin_id() -> int | None:
    """The id of the only active admin, or None when there are several (what the users page
    does not offer to demote or disable; update_user enforces it)."""
    ids = list(db.session().scalars(select(User.id).where(User.role == ADMIN, User.active.is_(True)).limit(2)))
    return ids[0] if len(ids) == 1 else None


def _keep_an_admin(user: User) -> None:
    """Refuse (409 last_admin) when `user` is the only active admin. The active admins' rows
    are locked first (PostgreSQL; SQLite takes its write lock), so two admins demoting each
    other at the same time cannot both succeed."""
    s = db.session()
    db.take_write_lock()
    admins = list(s.scalars(select(User.id).where(User.role == ADMIN, User.active.is_(True)).with_for_update()))
    if admins == [user.id]:
        raise Conflict(f"'{user.username}' is the last active admin; make another user admin first.",
                       "last_admin", username=user.username)


def tokens_of(user: User) -> list[ApiToken]:
    """`user`'s API tokens, newest first: created, last used, revoked (the live one has no revoked_at)."""
    return list(db.session().scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                     .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke_token(owner: User, token_id: int, actor: User | None) -> ApiToken:
    """Revoke one of `owner`'s API tokens now (the owner himself or an admin; actor None: the
    command line). Revoking a revoked token changes nothing."""
    require(may_manage_tokens(actor, owner))
    token = db.session().scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == owner.id))
    if token is None:
        raise NotFound(f"No token {token_id} of '{owner.username}'.", "token_not_found")
    if token.revoked_at is None:
        token.revoked_at = now()
        db.session().flush()
        audit.record("user.token_revoke", actor, object_type="user", object_id=owner.id, token=token.id)
    return token
