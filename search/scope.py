"""Which versions a search may return: visibility, filters and latest-only, as SQL.

Every engine applies these conditions inside its query (SQLite/PostgreSQL) or to the
matched ids with one database query (Whoosh), so totals and pages are right.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, literal_column, select

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


def visible_matches(stmt: Select, vid, user: User, filters: Filters, all_versions: bool) -> Select:
    """A select over matched version ids (the column `vid`) joined to Version, Deliverable and
    Project and restricted to what conditions() allows.

    When the user's latest version is the column deliverables.latest_version_id (everyone but a
    client, latest only), the join starts at the deliverable whose latest the match is (its
    index: migration 0013), which is the latest-only condition itself; the version is reached
    from the deliverable (`+ 0`: so that SQLite does not look it up first, through the equality
    with `vid`). A match that is no deliverable's latest then costs one index probe, no row read."""
    if all_versions or latest_version_column(user) is not Deliverable.latest_version_id:
        return join_versions(stmt.join(Version, Version.id == vid)).where(*conditions(user, filters, all_versions))
    return (stmt.join(Deliverable, Deliverable.latest_version_id == vid)
            .join(Project, Project.id == Deliverable.project_id)
            .join(Version, Version.id == Deliverable.latest_version_id + literal_column("0"))
            .where(*conditions(user, filters, all_versions=True)))


def visible_versions(user: User, filters: Filters, all_versions: bool) -> Select:
    """select(Version.id, Version.created_at) of every version the search may return."""
    return join_versions(select(Version.id, Version.created_at)).where(*conditions(user, filters, all_versions))
