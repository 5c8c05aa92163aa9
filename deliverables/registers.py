"""The register of a project (文档交付清单): one query for the API, the pages and the exports.

A client's "latest" version is the one deliverables.visibility lets her see (the latest
signed-off one, or the latest once it waits at her step); statuses are the derived columns the
sign-off operations keep; `waiting` is where the latest version waits (deliverables.workflow).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from catalog import get_catalog
from core import db
from deliverables.visibility import latest_version_column
from core.models import User
from deliverables.models import Deliverable, Signoff, Version
from projects.models import Project
from deliverables.versions import signoffs_of
from deliverables.labels import display_name
from deliverables.workflow import Waiting, role_filter, step_filter, waiting_of
from projects.access import project_filter


@dataclass
class RegisterRow:
    deliverable: Deliverable
    name: str
    phase_name: str
    latest: Version | None
    signoffs: list[Signoff] = field(default_factory=list)
    name_en: str = ""
    waiting: Waiting | None = None
    project: Project | None = None  # set in registers across projects

    @property
    def approvals(self) -> list[Signoff]:
        return [s for s in self.signoffs if s.decision == "approve"]

    def signed(self, role: str) -> Signoff | None:
        return next((s for s in self.signoffs if s.role == role), None)


def _register_query(user: User, kind: str, phase: str | None, status: str | None, step: str | None,
                    role: str | None):
    """select(Deliverable, Version): the deliverables with the version `user` sees as latest,
    filtered by phase, status, the step (key or name) or the role of the step their latest version
    waits at."""
    q = (select(Deliverable, Version).outerjoin(Version, Version.id == latest_version_column(user))
         .where(Deliverable.kind == kind))
    if phase:
        q = q.where(Deliverable.phase == phase)
    if status:
        q = q.where(Deliverable.status == status)
    if step:
        q = q.where(Deliverable.latest_version_id.in_(select(Version.id).where(step_filter(step))))
    if role:
        q = q.where(Deliverable.latest_version_id.in_(select(Version.id).where(role_filter(role))))
    return q


def _rows(pairs, projects: dict[int, Project] | None = None) -> list[RegisterRow]:
    """RegisterRows of (deliverable, version) pairs: sign-offs and waiting in a fixed number of queries."""
    sos = signoffs_of(v.id for _, v in pairs if v is not None)
    waiting = waiting_of(v for d, v in pairs if v is not None and v.id == d.latest_version_id)
    phase_names = {p.key: p.name_zh for p in get_catalog().phases}
    out = []
    for d, v in pairs:
        out.append(RegisterRow(d, display_name(d), phase_names.get(d.phase, d.phase), v, sos.get(v.id, []) if v else [],
                               display_name(d, "en"), waiting.get(v.id) if v else None,
                               projects.get(d.project_id) if projects else None))
    return out


def register_rows(user: User, project: Project, phase: str | None = None, status: str | None = None,
                  kind: str = "document", step: str | None = None, role: str | None = None) -> list[RegisterRow]:
    """The deliverables of `project` in project order, each with the version `user` sees as latest
    and where it waits; `step` keeps those whose latest version waits at that step (key or name),
    `role` those waiting at a step of that role."""
    q = _register_query(user, kind, phase, status, step, role).where(Deliverable.project_id == project.id)
    rows = db.session().execute(q.order_by(Deliverable.position, Deliverable.period, Deliverable.id)).all()
    return _rows(rows)


def _across(user: User, project_ids, kind, phase, status, step, role):
    q = (_register_query(user, kind, phase, status, step, role)
         .join(Project, Project.id == Deliverable.project_id).where(project_filter(user)))
    if project_ids is not None:
        q = q.where(Deliverable.project_id.in_(list(project_ids)))
    return q


def count_across(user: User, project_ids=None, phase: str | None = None, status: str | None = None,
                 kind: str = "document", step: str | None = None, role: str | None = None) -> int:
    """How many rows register_rows_across gives without limit."""
    q = _across(user, project_ids, kind, phase, status, step, role)
    return db.session().scalar(select(func.count()).select_from(q.with_only_columns(Deliverable.id).subquery()))


def register_rows_across(user: User, project_ids=None, phase: str | None = None, status: str | None = None,
                         kind: str = "document", step: str | None = None, role: str | None = None,
                         limit: int | None = None, offset: int = 0) -> list[RegisterRow]:
    """The register across every project `user` sees (projects.access), or those of them in
    `project_ids`: rows as register_rows (the same visibility of versions), ordered by project
    code, then project order; each row carries its project. A fixed number of queries."""
    q = _across(user, project_ids, kind, phase, status, step, role)
    q = q.order_by(Project.code, Deliverable.position, Deliverable.period, Deliverable.id).offset(offset)
    if limit is not None:
        q = q.limit(limit)
    rows = db.session().execute(q).all()
    ids = {d.project_id for d, _ in rows}
    projects = {p.id: p for p in db.session().scalars(select(Project).where(Project.id.in_(ids)))} if ids else {}
    return _rows(rows, projects)
