"""Who sees which project: the one place every surface (API, pages, search, bundles) asks.

Rules:
- admin sees every project; everyone else sees the projects they are a member of.
- what a user may not see does not exist for them (404, never 403).
Which versions of a visible project a user sees is deliverables.visibility.
"""
from __future__ import annotations

from sqlalchemy import Select, event, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from core import db
from core.errors import NotFound
from core.models import User
from projects.models import Membership, Project


def project_filter(user: User) -> ColumnElement[bool]:
    """SQL condition on Project.id: the projects `user` may see."""
    if user.role == "admin":
        return true()
    return Project.id.in_(select(Membership.project_id).where(Membership.user_id == user.id))


def visible_projects(user: User) -> Select:
    return select(Project).where(project_filter(user)).order_by(Project.code)


_MEMO = "projects.is_member"


def is_member(user: User, project_id: int) -> bool:
    """True for an admin, or a member of the project. Remembered by the session until it next
    writes or ends (_forget_members), so the checks an upload repeats (the route, then the
    operation; a batch: each file) ask the database once."""
    if user.role == "admin":
        return True
    s = db.session()
    memo = s.info.setdefault(_MEMO, {})
    key = (user.id, project_id)
    if key not in memo or any(isinstance(o, Membership) for o in (*s.new, *s.deleted)):  # unflushed: ask
        memo[key] = s.scalar(select(Membership.id).where(
            Membership.user_id == user.id, Membership.project_id == project_id)) is not None
    return memo[key]


@event.listens_for(Session, "after_flush")
@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget_members(session, *_):
    """A flush (a membership added or removed goes through one), commit or rollback ends what
    is_member remembered."""
    session.info.pop(_MEMO, None)


def get_project(user: User, code: str) -> Project:
    """The project with `code` if `user` may see it, else NotFound."""
    project = db.session().scalar(select(Project).where(Project.code == code, project_filter(user)))
    if project is None:
        raise NotFound(f"No project '{code}'.", "project_not_found", project=code)
    return project
