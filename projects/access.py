"""Who sees which project: the one place every surface (API, pages, search, bundles) asks.

Rules:
- admin sees every project; everyone else sees the projects they are a member of.
- what a user may not see does not exist for them (404, never 403).
Which versions of a visible project a user sees is deliverables.visibility.
"""
from __future__ import annotations

from sqlalchemy import Select, select, true
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


def is_member(user: User, project_id: int) -> bool:
    """True for an admin, or a member of the project."""
    if user.role == "admin":
        return True
    return db.session().scalar(select(Membership.id).where(
        Membership.user_id == user.id, Membership.project_id == project_id)) is not None


def get_project(user: User, code: str) -> Project:
    """The project with `code` if `user` may see it, else NotFound."""
    project = db.session().scalar(select(Project).where(Project.code == code, project_filter(user)))
    if project is None:
        raise NotFound(f"No project '{code}'.", "project_not_found", project=code)
    return project
