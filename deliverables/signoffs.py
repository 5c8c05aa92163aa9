"""Two-party sign-off: the vendor's pm reviews (审核), the client confirms (确认)."""
from __future__ import annotations

from sqlalchemy import select

from core import audit, db
from core.access import is_member
from core.clock import now
from core.errors import Conflict, Forbidden, UserValueError
from core.models import User
from deliverables.models import Deliverable, Signoff, Version
from deliverables.signoff_state import MEANING, SIGNING_ROLES, refresh_deliverable, version_state


def sign(user: User, version: Version, decision: str, comment: str = "") -> Signoff:
    """Approve or reject `version` as the user's role; rules in the order a user meets them."""
    if decision not in ("approve", "reject"):
        raise UserValueError("decision must be 'approve' or 'reject'.", "invalid_choice")
    if decision == "reject" and not (comment or "").strip():
        raise UserValueError("A rejection needs a comment saying what to change.", "comment_required")
    if user.role not in SIGNING_ROLES:
        raise Forbidden("Only the vendor's pm and the client sign off.", "role_cannot_sign")
    d = version.deliverable
    if not is_member(user, d.project_id):
        raise Forbidden("Only members of the project sign off.", "not_a_member")
    s = db.session()
    db.lock_row(Deliverable.version_count, d.id)  # serialise sign-offs of one deliverable
    s.refresh(d)
    if d.latest_version_id != version.id:
        raise Conflict("This version is no longer the latest; sign the latest one.", "not_latest")
    if decision == "approve" and version.uploaded_by_id == user.id:
        raise Forbidden("The person who uploaded a version cannot approve it.", "own_upload")
    existing = list(s.scalars(select(Signoff).where(Signoff.version_id == version.id)))
    if any(so.user_id == user.id for so in existing):
        raise Conflict("You have already signed this version.", "already_signed")
    state = version_state(existing)
    if state in ("rejected", "signed_off"):
        raise Conflict(f"This version is already {state.replace('_', ' ')}.", f"version_{state}")
    if any(so.role == user.role and so.decision == "approve" for so in existing):
        raise Conflict(f"A {user.role} has already approved this version.", "role_already_signed")
    so = Signoff(version_id=version.id, sha256=version.sha256, user_id=user.id, signer_name=user.name,
                 role=user.role, decision=decision, meaning=MEANING[user.role], comment=comment, created_at=now())
    s.add(so)
    s.flush()
    refresh_deliverable(d)
    audit.record(f"signoff.{decision}", user, object_type="version", object_id=version.id,
                 project_code=d.project.code, deliverable_id=d.id, number=version.number, sha256=version.sha256,
                 comment=comment)
    return so
