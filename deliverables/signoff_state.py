"""When a deliverable counts as signed off: the one rule, used everywhere.

A version passes the steps of its workflow (deliverables.workflow); it is signed off when
every step approved it (Version.signed_off_at, set by the workflow when it passes the last
step) and no one rejected it. A deliverable's status follows its latest version:
missing (no version) · draft (no approval yet: at its first step) · in_review (some steps
approved) · rejected (latest version rejected at any step) · signed_off (every step approved).
"""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import func, select

from core import db
from deliverables.models import Deliverable, Signoff, Version


def version_state(signoffs: Iterable[Signoff], steps_done: bool) -> str:
    """draft / in_review / rejected / signed_off for one version's sign-offs, given whether
    every step of its chain is complete (`steps_done`, i.e. Version.signed_off_at is set)."""
    signoffs = list(signoffs)
    if any(s.decision == "reject" for s in signoffs):
        return "rejected"
    if steps_done:
        return "signed_off"
    return "in_review" if any(s.decision == "approve" for s in signoffs) else "draft"


def deliverable_status(latest_signoffs: Iterable[Signoff] | None, steps_done: bool = False) -> str:
    """A deliverable's status: missing without a version (None), else the state of its
    latest version (version_state)."""
    return "missing" if latest_signoffs is None else version_state(latest_signoffs, steps_done)


def refresh_deliverable(d: Deliverable) -> None:
    """Recompute the derived columns of `d` after a new version or sign-off."""
    s = db.session()
    s.flush()
    latest = s.scalar(select(Version).where(Version.deliverable_id == d.id).order_by(Version.number.desc()).limit(1))
    if latest is None:
        d.status, d.latest_version_id, d.latest_signed_version_id = deliverable_status(None), None, None
        return
    d.status = deliverable_status(s.scalars(select(Signoff).where(Signoff.version_id == latest.id)),
                                  latest.signed_off_at is not None)
    d.latest_version_id = latest.id
    d.latest_signed_version_id = s.scalar(select(func.max(Version.id)).where(
        Version.deliverable_id == d.id, Version.signed_off_at.is_not(None)))
    s.flush()
