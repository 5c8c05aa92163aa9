"""Opening a project: the tenant row (projects.membership) plus its register."""
from __future__ import annotations

from datetime import date

from catalog import get_catalog
from core import audit, db
from core.clock import now
from core.models import User
from deliverables.models import Deliverable
from projects.membership import new_project
from projects.models import Project


def create_project(actor: User, code: str, name: str, client: str, *, vendor: str = "", description: str = "",
                   warranty_until: date | None = None, maintenance_start: date | None = None) -> Project:
    """Create a project with one `missing` deliverable per catalog document."""
    project = new_project(actor, code, name, client, vendor=vendor, description=description,
                          warranty_until=warranty_until, maintenance_start=maintenance_start)
    s = db.session()
    for doc in get_catalog().documents:
        s.add(Deliverable(project_id=project.id, kind="document", document_key=doc.key, phase=doc.phase,
                          position=doc.position, title=doc.name_zh, created_at=now()))
    s.flush()
    audit.record("project.create", actor, object_type="project", object_id=project.id, project_code=code,
                 name=name, client=client)
    return project
