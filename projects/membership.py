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
from core.roles import CLIENT, ENGINEER, PM
from projects.models import Membership, Project
from projects.permissions import (may_add_member, may_create_project, may_manage_project, may_remove_member,
                                  require)

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{1,63}$")
RESERVED_CODES = ("new",)  # /projects/new is the page that creates a project


def new_project(actor: User, code: str, name: str, client: str, *, vendor: str = "", description: str = "",
                warranty_until: date | None = None, maintenance_start: date | None = None,
                start_date: date | None = None) -> Project:
    """Insert a project (a creating pm becomes its member); the caller opens its register."""
    require(may_create_project(actor))
    _required(name=name, client=client)
    if not CODE_RE.match(code):
        raise UserValueError("Project code: 2-64 letters, digits, '-' or '_'.", "invalid_code")
    if code.lower() in RESERVED_CODES:
        raise UserValueError(f"'{code}' names a page; choose another project code.", "reserved_code", project=code)
    s = db.session()
    if s.scalar(select(Project.id).where(Project.code == code)) is not None:
        raise Conflict(f"Project '{code}' exists.", "project_exists", project=code)
    project = Project(code=code, name=name, client=client, vendor=vendor or current_app.config["HANDOVER_VENDOR"],
                      description=description, warranty_until=warranty_until, start_date=start_date,
                      maintenance_start=maintenance_start, created_at=now())
    s.add(project)
    s.flush()
    if actor is not None and actor.role == PM:
        s.add(Membership(project_id=project.id, user_id=actor.id, created_at=now()))
    return project


UPDATABLE = ("name", "client", "vendor", "description", "start_date", "warranty_until", "maintenance_start")


def _required(**fields: str | None) -> None:
    """A project's name and client are never empty (400 missing_field)."""
    for key, value in fields.items():
        if not (value or "").strip():
            raise UserValueError(f"Field '{key}' is required.", "missing_field")


def update_project(actor: User, project: Project, changes: dict) -> Project:
    """Change the project's fields (an admin or a pm of the project)."""
    require(may_manage_project(actor, project))
    _required(**{k: changes[k] for k in ("name", "client") if k in changes})
    for key, value in changes.items():
        setattr(project, key, value)
    db.session().flush()
    audit.record("project.update", actor, object_type="project", object_id=project.id, project_code=project.code,
                 **{k: v for k, v in changes.items()})
    return project


def add_member(actor: User | None, project: Project, user: User) -> Membership:
    """Make `user` a member of `project` (idempotent; a client only of the project's client
    organisation, permissions.may_add_member)."""
    require(may_add_member(actor, project, user))
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
    """End `user`'s membership of `project` (nothing if they are not a member); never the
    project's last pm (409 last_pm, permissions.may_remove_member). The pm rows are locked
    first, so two removals at the same time cannot both take the last-but-one."""
    s = db.session()
    db.take_write_lock()
    pm_ids = list(s.scalars(select(Membership.user_id).join(User, User.id == Membership.user_id)
                            .where(Membership.project_id == project.id, User.role == PM).with_for_update()))
    require(may_remove_member(actor, project, user, pm_ids))
    m = s.scalar(select(Membership).where(Membership.project_id == project.id, Membership.user_id == user.id))
    if m is not None:
        s.delete(m)
        s.flush()
        audit.record("member.remove", actor, object_type="project", object_id=project.id,
                     project_code=project.code, username=user.username)


def members(project: Project) -> list[User]:
    return list(db.session().scalars(select(User).join(Membership, Membership.user_id == User.id)
                                     .where(Membership.project_id == project.id).order_by(User.role, User.username)))


VENDOR_PEOPLE = (PM, ENGINEER)  # an admin sees every project without being a member


def candidates(project: Project) -> list[User]:
    """Who a member picker offers for `project`: the active vendor people (pm, engineer) and
    the active clients whose organisation is the project's client, not yet members."""
    s = db.session()
    taken = select(Membership.user_id).where(Membership.project_id == project.id)
    rows = s.scalars(select(User).where(User.active.is_(True), User.id.not_in(taken),
                                        User.role.in_(VENDOR_PEOPLE + (CLIENT,)))
                     .order_by(User.role, User.username))
    client_org = (project.client or "").strip()
    return [u for u in rows if u.role in VENDOR_PEOPLE
            or (client_org and (u.organisation or "").strip() == client_org)]


def candidates_for_new() -> list[User]:
    """The vendor people a new project's form offers (its clients come after, by organisation)."""
    return list(db.session().scalars(select(User).where(User.active.is_(True), User.role.in_(VENDOR_PEOPLE))
                                     .order_by(User.role, User.username)))


def client_organisations() -> list[str]:
    """The organisations of the client users (for the 甲方 field's suggestions)."""
    return sorted(set(db.session().scalars(select(User.organisation).where(User.role == CLIENT,
                                                                          User.organisation != ""))))
