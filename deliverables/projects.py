"""Opening a project: the tenant row (projects.membership) plus its register."""
from __future__ import annotations

from datetime import date

from catalog import get_catalog
from core import audit, db
from core.clock import now
from core.models import User
from deliverables.doc_numbers import number_documents
from deliverables.models import Deliverable
from projects.membership import new_project
from projects.models import Project


def create_project(actor: User, code: str, name: str, client: str, *, vendor: str = "", description: str = "",
                   warranty_until: date | None = None, maintenance_start: date | None = None,
                   start_date: date | None = None) -> Project:
    """Create a project with one `missing` deliverable per catalog document."""
    project = new_project(actor, code, name, client, vendor=vendor, description=description,
                          warranty_until=warranty_until, maintenance_start=maintenance_start, start_date=start_date)
    s = db.session()
    documents = get_catalog().documents
    numbers = number_documents(project.code, documents)
    for doc in documents:
        s.add(Deliverable(project_id=project.id, kind="document", document_key=doc.key, phase=doc.phase,
                          position=doc.position, title=doc.name_zh, doc_no=numbers[doc.key], created_at=now()))
    s.flush()
    audit.record("project.create", actor, object_type="project", object_id=project.id, project_code=code,
                 name=name, client=client)
    return project
