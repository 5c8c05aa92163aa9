"""Who sees which deliverable and version (given the project is visible: projects.access).

Rules:
- a client sees, of the versions, the signed-off ones (Version.signed_off_at set) and the
  latest version of a deliverable once it has reached the client's step (every vendor step
  approved: Version.client_step_at is set, also after she rejected it; deliverables.workflow
  clears it when a newer version supersedes it, so only the latest can have it): in lists,
  `latest_version`, downloads, previews and search. Bundles hold signed-off versions only
  (portal.bundle).
- a client may be asked to sign only a version she sees (get_version_to_sign).
- what a user may not see does not exist for them (404, never 403).
"""
from __future__ import annotations

from sqlalchemy import func, or_, select, true
from sqlalchemy.orm import contains_eager
from sqlalchemy.sql.elements import ColumnElement

from core import db
from core.errors import NotFound
from core.models import User
from deliverables import workflow
from deliverables.models import Deliverable, Version
from projects.access import project_filter
from projects.models import Project


def version_filter(user: User) -> ColumnElement[bool]:
    """SQL condition on Version: the versions `user` may see, given the project is visible."""
    if user.role == "client":
        return or_(Version.signed_off_at.is_not(None), Version.client_step_at.is_not(None))
    return true()


def latest_version_column(user: User):
    """The SQL expression (on Deliverable) of the version `user` sees as "latest": a client's
    latest is the latest version once it waits at the client's step, else the latest
    signed-off one (the twin of version_filter for registers and search)."""
    if user.role != "client":
        return Deliverable.latest_version_id
    at_client = select(Version.id).where(Version.id == Deliverable.latest_version_id,
                                         Version.client_step_at.is_not(None)).correlate(Deliverable).scalar_subquery()
    return func.coalesce(at_client, Deliverable.latest_signed_version_id)


def latest_version_id(user: User, d: Deliverable, latest=None) -> int | None:
    """Python twin of latest_version_column for a loaded deliverable (`latest`: its latest
    version when already loaded)."""
    if user.role != "client":
        return d.latest_version_id
    if d.latest_version_id and latest is None:
        latest = db.session().get(Version, d.latest_version_id)
    if latest is not None and latest.client_step_at is not None:
        return latest.id
    return d.latest_signed_version_id


def get_deliverable(user: User, deliverable_id: int) -> Deliverable:
    """The deliverable if `user` may see its project, else NotFound; its project comes with it
    (the join is there anyway: no second query when the caller reads d.project)."""
    d = db.session().scalar(select(Deliverable).join(Project).options(contains_eager(Deliverable.project)).where(
        Deliverable.id == deliverable_id, project_filter(user)))
    if d is None:
        raise NotFound(f"No deliverable {deliverable_id}.", "deliverable_not_found", deliverable_id=deliverable_id)
    return d


def get_deliverables_of(project: Project, deliverable_ids) -> dict[int, Deliverable]:
    """{id: deliverable} of the given ids in `project` (a project the caller already sees:
    projects.access.get_project), in one query; an id of another project, or of nothing, is
    NotFound, as it is for get_deliverable (the first such id, in the order given)."""
    ids = list(dict.fromkeys(deliverable_ids))
    found = {d.id: d for d in db.session().scalars(
        select(Deliverable).where(Deliverable.id.in_(ids), Deliverable.project_id == project.id))} if ids else {}
    for did in ids:
        if did not in found:
            raise NotFound(f"No deliverable {did}.", "deliverable_not_found", deliverable_id=did)
    return found


def get_version(user: User, version_id: int) -> Version:
    v = db.session().scalar(select(Version).join(Deliverable).join(Project).where(
        Version.id == version_id, project_filter(user), version_filter(user)))
    if v is None:
        raise NotFound(f"No version {version_id}.", "version_not_found", version_id=version_id)
    return v


def get_version_to_sign(user: User, version_id: int) -> Version:
    """A version `user` may sign: the same as get_version (a client sees the version waiting
    at her step; before that step it does not exist for her: 404), except that a version that
    reached her step and was superseded since (a newer version arrived while her confirm form
    was open) is returned, so that the sign rule answers 409 `not_latest` instead of 404."""
    try:
        return get_version(user, version_id)
    except NotFound:
        if user.role != "client":
            raise
        v = db.session().scalar(select(Version).join(Deliverable, Deliverable.id == Version.deliverable_id)
                                .join(Project).where(Version.id == version_id, project_filter(user),
                                                     Version.id != Deliverable.latest_version_id))
        if v is None or not workflow.reached_client_step(v):
            raise
        return v


def can_see_version(user: User, version) -> bool:
    """Python twin of version_filter for objects already loaded."""
    return user.role != "client" or version.signed_off_at is not None or version.client_step_at is not None
