"""Which versions a search may return: visibility, filters and latest-only, as SQL.

Every engine applies these conditions inside its query (SQLite/PostgreSQL) or to the
matched ids with one database query (Whoosh), so totals and pages are right.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select

from projects.access import project_filter
from deliverables.visibility import latest_version_column, version_filter
from core.models import User
from deliverables.models import Deliverable, Version
from projects.models import Project


@dataclass(frozen=True)
class Filters:
    project_id: int | None = None
    phase: str | None = None
    status: str | None = None
    document_key: str | None = None


def conditions(user: User, filters: Filters, all_versions: bool) -> list:
    """Conditions on Version/Deliverable/Project (joined by the caller)."""
    conds = [project_filter(user), version_filter(user)]
    if not all_versions:
        latest = latest_version_column(user)
        conds.append(Version.id == latest)
    if filters.project_id is not None:
        conds.append(Deliverable.project_id == filters.project_id)
    if filters.phase:
        conds.append(Deliverable.phase == filters.phase)
    if filters.status:
        conds.append(Deliverable.status == filters.status)
    if filters.document_key:
        conds.append(Deliverable.document_key == filters.document_key)
    return conds


def join_versions(stmt: Select) -> Select:
    """Add the Deliverable and Project joins to a select that has Version."""
    return stmt.join(Deliverable, Deliverable.id == Version.deliverable_id).join(
        Project, Project.id == Deliverable.project_id)


def visible_versions(user: User, filters: Filters, all_versions: bool) -> Select:
    """select(Version.id, Version.created_at) of every version the search may return."""
    return join_versions(select(Version.id, Version.created_at)).where(*conditions(user, filters, all_versions))
