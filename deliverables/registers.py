"""The register of a project (文档交付清单): one query for the API, the pages and the exports.

A client's "latest" version is the latest signed-off one (core.access: clients see
signed-off versions only); statuses are the derived columns the sign-off operations keep.
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


@dataclass
class RegisterRow:
    deliverable: Deliverable
    name: str
    phase_name: str
    latest: Version | None
    signoffs: list[Signoff] = field(default_factory=list)
    name_en: str = ""

    @property
    def approvals(self) -> list[Signoff]:
        return [s for s in self.signoffs if s.decision == "approve"]

    def signed(self, role: str) -> Signoff | None:
        return next((s for s in self.signoffs if s.role == role), None)


def register_rows(user: User, project: Project, phase: str | None = None, status: str | None = None,
                  kind: str = "document") -> list[RegisterRow]:
    """The deliverables of `project` in project order, each with the version `user` sees as latest."""
    cat = get_catalog()
    latest_col = latest_version_column(user)
    q = (select(Deliverable, Version).outerjoin(Version, Version.id == latest_col)
         .where(Deliverable.project_id == project.id, Deliverable.kind == kind))
    if phase:
        q = q.where(Deliverable.phase == phase)
    if status:
        q = q.where(Deliverable.status == status)
    rows = db.session().execute(q.order_by(Deliverable.position, Deliverable.period, Deliverable.id)).all()
    sos = signoffs_of(v.id for _, v in rows if v is not None)
    phase_names = {p.key: p.name_zh for p in cat.phases}
    out = []
    for d, v in rows:
        out.append(RegisterRow(d, display_name(d), phase_names.get(d.phase, d.phase), v, sos.get(v.id, []) if v else [],
                               display_name(d, "en")))
    return out
