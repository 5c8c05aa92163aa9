"""Who sees which deliverable and version (given the project is visible: projects.access).

Rules:
- a client sees, of the versions, only the signed-off ones (Version.signed_off_at set).
- a client may sign the latest version of a deliverable of its project (get_version_to_sign)
  without seeing it in lists, search or downloads until it is signed off.
- what a user may not see does not exist for them (404, never 403).
"""
from __future__ import annotations

from sqlalchemy import or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from core import db
from core.errors import NotFound
from core.models import User
from deliverables.models import Deliverable, Version
from projects.access import project_filter
from projects.models import Project


def version_filter(user: User) -> ColumnElement[bool]:
    """SQL condition on Version: the versions `user` may see, given the project is visible."""
    if user.role == "client":
        return Version.signed_off_at.is_not(None)
    return true()


def latest_version_column(user: User):
    """Deliverable column holding the version `user` sees as "latest": a client's latest
    is the latest signed-off version (the Python twin of version_filter for registers)."""
    return Deliverable.latest_signed_version_id if user.role == "client" else Deliverable.latest_version_id


def get_deliverable(user: User, deliverable_id: int) -> Deliverable:
    d = db.session().scalar(select(Deliverable).join(Project).where(
        Deliverable.id == deliverable_id, project_filter(user)))
    if d is None:
        raise NotFound(f"No deliverable {deliverable_id}.", "deliverable_not_found", deliverable_id=deliverable_id)
    return d


def get_version(user: User, version_id: int) -> Version:
    v = db.session().scalar(select(Version).join(Deliverable).join(Project).where(
        Version.id == version_id, project_filter(user), version_filter(user)))
    if v is None:
        raise NotFound(f"No version {version_id}.", "version_not_found", version_id=version_id)
    return v


def get_version_to_sign(user: User, version_id: int) -> Version:
    """A version `user` may sign: as get_version, except that a client may also reach the
    latest version of a deliverable (not yet signed off, so otherwise invisible to them)."""
    cond = version_filter(user)
    if user.role == "client":
        cond = or_(cond, Version.id == Deliverable.latest_version_id)
    v = db.session().scalar(select(Version).join(Deliverable, Deliverable.id == Version.deliverable_id).join(Project)
                            .where(Version.id == version_id, project_filter(user), cond))
    if v is None:
        raise NotFound(f"No version {version_id}.", "version_not_found", version_id=version_id)
    return v


def can_see_version(user: User, version) -> bool:
    """Python twin of version_filter for objects already loaded."""
    return user.role != "client" or version.signed_off_at is not None
