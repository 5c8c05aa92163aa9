"""When a deliverable counts as signed off: the one rule, used everywhere.

A version is signed off when it has an approval from a `pm` and from a `client` and no
rejection. A deliverable's status follows its latest version:
missing (no version) · draft (no approval yet) · in_review (one of the two approvals) ·
rejected (latest version rejected) · signed_off (both approvals).
"""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import func, select

from core import db
from core.clock import now
from core.roles import CLIENT, PM, SIGNING_ROLES
from deliverables.models import Deliverable, Signoff, Version

MEANING = {PM: "审核", CLIENT: "确认"}


def version_state(signoffs: Iterable[Signoff]) -> str:
    """draft / in_review / rejected / signed_off for one version's sign-offs."""
    signoffs = list(signoffs)
    if any(s.decision == "reject" for s in signoffs):
        return "rejected"
    approved = {s.role for s in signoffs if s.decision == "approve"}
    if approved >= set(SIGNING_ROLES):
        return "signed_off"
    return "in_review" if approved else "draft"


def deliverable_status(latest_signoffs: Iterable[Signoff] | None) -> str:
    """A deliverable's status: missing without a version (None), else the state of its
    latest version's sign-offs (version_state)."""
    return "missing" if latest_signoffs is None else version_state(latest_signoffs)


def refresh_deliverable(d: Deliverable) -> None:
    """Recompute the derived columns of `d` after a new version or sign-off."""
    s = db.session()
    s.flush()
    latest = s.scalar(select(Version).where(Version.deliverable_id == d.id).order_by(Version.number.desc()).limit(1))
    if latest is None:
        d.status, d.latest_version_id, d.latest_signed_version_id = deliverable_status(None), None, None
        return
    state = deliverable_status(s.scalars(select(Signoff).where(Signoff.version_id == latest.id)))
    if state == "signed_off" and latest.signed_off_at is None:
        latest.signed_off_at = now()
    d.status = state
    d.latest_version_id = latest.id
    d.latest_signed_version_id = s.scalar(select(func.max(Version.id)).where(
        Version.deliverable_id == d.id, Version.signed_off_at.is_not(None)))
    s.flush()
