"""Operations on projects and their membership."""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from catalog import get_catalog
from core import access, audit, db
from core.clock import now
from core.errors import Conflict, Forbidden, UserValueError
from core.models import User
from deliverables.models import Deliverable, Membership, Project

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{1,63}$")


def can_manage(user: User | None, project: Project | None) -> bool:
    """admin (or the CLI, user None) always; a pm for projects they belong to (or new ones)."""
    if user is None or user.role == "admin":
        return True
    if user.role != "pm":
        return False
    return project is None or access.is_member(user, project.id)


def require_manage(user: User, project: Project) -> None:
    if not can_manage(user, project):
        raise Forbidden("Only an admin or a pm of this project may change it or its members.")


def create_project(actor: User, code: str, name: str, client: str, *, vendor: str = "", description: str = "",
                   warranty_until: date | None = None, maintenance_start: date | None = None) -> Project:
    """Create a project with one `missing` deliverable per catalog document."""
    if not can_manage(actor, None):
        raise Forbidden("Only an admin or a pm may create projects.")
    if not CODE_RE.match(code):
        raise UserValueError("Project code: 2-64 letters, digits, '-' or '_'.", "invalid_code")
    s = db.session()
    if s.scalar(select(Project.id).where(Project.code == code)) is not None:
        raise Conflict(f"Project '{code}' exists.", "project_exists")
    from flask import current_app
    project = Project(code=code, name=name, client=client, vendor=vendor or current_app.config["HANDOVER_VENDOR"],
                      description=description, warranty_until=warranty_until,
                      maintenance_start=maintenance_start, created_at=now())
    s.add(project)
    s.flush()
    for doc in get_catalog().documents:
        s.add(Deliverable(project_id=project.id, kind="document", document_key=doc.key, phase=doc.phase,
                          position=doc.position, title=doc.name_zh, created_at=now()))
    if actor.role == "pm":
        s.add(Membership(project_id=project.id, user_id=actor.id, created_at=now()))
    s.flush()
    audit.record("project.create", actor, object_type="project", object_id=project.id, project_code=code,
                 name=name, client=client)
    return project


UPDATABLE = ("name", "client", "vendor", "description", "warranty_until", "maintenance_start")


def update_project(actor: User, project: Project, changes: dict) -> Project:
    require_manage(actor, project)
    for key, value in changes.items():
        setattr(project, key, value)
    db.session().flush()
    audit.record("project.update", actor, object_type="project", object_id=project.id, project_code=project.code,
                 **{k: v for k, v in changes.items()})
    return project


def add_member(actor: User | None, project: Project, user: User) -> Membership:
    require_manage(actor, project)
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
    require_manage(actor, project)
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
