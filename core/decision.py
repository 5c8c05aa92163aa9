"""A permission answer: allowed, or refused with a code, an English sentence and the error
class (Forbidden 403 for who you are, Conflict 409 for the state the object is in).

projects.permissions builds these for every action; operations enforce them with require(),
pages and the API read them to decide what to offer. The one rule core's own operations
need (who manages users) lives here, since core depends on no domain package.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from core.errors import Forbidden, HandoverError
from core.roles import ADMIN


@dataclass(frozen=True)
class Decision:
    allowed: bool
    code: str = ""
    message: str = ""
    error: type[HandoverError] = Forbidden
    params: dict = field(default_factory=dict)  # for the message in the user's language (core.messages)

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Decision(True)


def refuse(code: str, message: str, error: type[HandoverError] = Forbidden, **params) -> Decision:
    return Decision(False, code, message, error, params)


def require(decision: Decision) -> None:
    """Raise the refusal's error (with its code and sentence); nothing when allowed."""
    if not decision.allowed:
        raise decision.error(decision.message, decision.code, **decision.params)


def may_manage_users(actor) -> Decision:
    """Create users, change their role, activity, password or token: an admin (or the
    command line, actor None)."""
    if actor is None or actor.role == ADMIN:
        return ALLOWED
    return refuse("admin_only", "Only an admin may manage users.")


def may_manage_tokens(actor, owner) -> Decision:
    """See and revoke `owner`'s API tokens: the owner himself or an admin (or the command line)."""
    if actor is None or actor.role == ADMIN or actor.id == owner.id:
        return ALLOWED
    return refuse("admin_only", "Only an admin may manage other users' API tokens.")
