"""Operations on projects and their membership (the tenant's own rows).

Opening a project's register (one deliverable per catalog document) is
deliverables.projects.create_project, which calls new_project here first.
"""
from __future__ import annotations

import re
from datetime import date

from flask import current_app
from sqlalchemy import select

from core import audit, db
from core.clock import now
from core.errors import Conflict, UserValueError
from core.models import User
from core.roles import PM
from projects.models import Membership, Project
from projects.permissions import may_create_project, may_manage_members, may_manage_project, require

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{1,63}$")


def new_project(actor: User, code: str, name: str, client: str, *, vendor: str = "", description: str = "",
                warranty_until: date | None = None, maintenance_start: date | None = None) -> Project:
    """Insert a project (a creating pm becomes its member); the caller opens its register."""
    require(may_create_project(actor))
    if not CODE_RE.match(code):
        raise UserValueError("Project code: 2-64 letters, digits, '-' or '_'.", "invalid_code")
    s = db.session()
    if s.scalar(select(Project.id).where(Project.code == code)) is not None:
        raise Conflict(f"Project '{code}' exists.", "project_exists", project=code)
    project = Project(code=code, name=name, client=client, vendor=vendor or current_app.config["HANDOVER_VENDOR"],
                      description=description, warranty_until=warranty_until,
                      maintenance_start=maintenance_start, created_at=now())
    s.add(project)
    s.flush()
    if actor is not None and actor.role == PM:
        s.add(Membership(project_id=project.id, user_id=actor.id, created_at=now()))
    return project


UPDATABLE = ("name", "client", "vendor", "description", "warranty_until", "maintenance_start")


def update_project(actor: User, project: Project, changes: dict) -> Project:
    """Change the project's fields (an admin or a pm of the project)."""
    require(may_manage_project(actor, project))
    for key, value in changes.items():
        setattr(project, key, value)
    db.session().flush()
    audit.record("project.update", actor, object_type="project", object_id=project.id, project_code=project.code,
                 **{k: v for k, v in changes.items()})
    return project


def add_member(actor: User | None, project: Project, user: User) -> Membership:
    """Make `user` a member of `project` (idempotent)."""
    require(may_manage_members(actor, project))
    s = db.session()
    existing = s.scalar(select(Membership).where(Membership.project_id == project.id, Membership.user_id == user.id))
    if existing is not None:
        return existing
    m = Membership(project_id=project.id, user_id=user.id, created_at=now())
    s.add(m)
    s.flush()
    audit.record("member.add", actor, object_type="project", object_id=project.id, project_code=project.code,
                 username=user.username)
    return m


def remove_member(actor: User, project: Project, user: User) -> None:
    """End `user`'s membership of `project` (nothing if they are not a member)."""
    require(may_manage_members(actor, project))
    s = db.session()
    m = s.scalar(select(Membership).where(Membership.project_id == project.id, Membership.user_id == user.id))
    if m is not None:
        s.delete(m)
        s.flush()
        audit.record("member.remove", actor, object_type="project", object_id=project.id,
                     project_code=project.code, username=user.username)


def members(project: Project) -> list[User]:
    return list(db.session().scalars(select(User).join(Membership, Membership.user_id == User.id)
                                     .where(Membership.project_id == project.id).order_by(User.role, User.username)))
