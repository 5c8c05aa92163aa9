"""The register of a project (文档交付清单): one query for the API, the pages and the exports.

A client's "latest" version is the one deliverables.visibility lets her see (the latest
signed-off one, or the latest once it waits at her step); statuses are the derived columns the
sign-off operations keep; `waiting` is where the latest version waits (deliverables.workflow).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from catalog import get_catalog
from core import db
from deliverables.visibility import latest_version_column
from core.models import User
from deliverables.models import Deliverable, Signoff, Version
from projects.models import Project
from deliverables.versions import signoffs_of
from deliverables.labels import display_name
from deliverables.workflow import Waiting, step_filter, waiting_of


@dataclass
class RegisterRow:
    deliverable: Deliverable
    name: str
    phase_name: str
    latest: Version | None
    signoffs: list[Signoff] = field(default_factory=list)
    name_en: str = ""
    waiting: Waiting | None = None

    @property
    def approvals(self) -> list[Signoff]:
        return [s for s in self.signoffs if s.decision == "approve"]

    def signed(self, role: str) -> Signoff | None:
        return next((s for s in self.signoffs if s.role == role), None)


def register_rows(user: User, project: Project, phase: str | None = None, status: str | None = None,
                  kind: str = "document", step: str | None = None) -> list[RegisterRow]:
    """The deliverables of `project` in project order, each with the version `user` sees as latest
    and where it waits; `step` keeps those whose latest version waits at that step (key or name)."""
    cat = get_catalog()
    latest_col = latest_version_column(user)
    q = (select(Deliverable, Version).outerjoin(Version, Version.id == latest_col)
         .where(Deliverable.project_id == project.id, Deliverable.kind == kind))
    if phase:
        q = q.where(Deliverable.phase == phase)
    if status:
        q = q.where(Deliverable.status == status)
    if step:
        q = q.where(Deliverable.latest_version_id.in_(select(Version.id).where(step_filter(step))))
    rows = db.session().execute(q.order_by(Deliverable.position, Deliverable.period, Deliverable.id)).all()
    sos = signoffs_of(v.id for _, v in rows if v is not None)
    waiting = waiting_of(v for d, v in rows if v is not None and v.id == d.latest_version_id)
    phase_names = {p.key: p.name_zh for p in cat.phases}
    out = []
    for d, v in rows:
        out.append(RegisterRow(d, display_name(d), phase_names.get(d.phase, d.phase), v, sos.get(v.id, []) if v else [],
                               display_name(d, "en"), waiting.get(v.id) if v else None))
    return out
