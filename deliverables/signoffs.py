"""Sign-offs: approve or reject a version at the step of its workflow it waits at (deliverables.workflow)."""
from __future__ import annotations

from core import audit, db
from core.clock import now
from core.errors import UserValueError
from core.models import User
from deliverables.models import Deliverable, Signoff, Version
from deliverables import workflow
from deliverables.signoff_state import refresh_deliverable
from projects.permissions import may_sign, require


def sign(user: User, version: Version, decision: str, comment: str = "") -> Signoff:
    """Approve or reject `version` at its current step. The rules are projects.permissions.may_sign
    (who: 403; the version's state and step: 409), checked again under the deliverable's row lock;
    then the workflow moves the version on (next step, signed off, or rejected)."""
    if decision not in ("approve", "reject"):
        raise UserValueError("decision must be 'approve' or 'reject'.", "invalid_choice")
    if decision == "reject" and not (comment or "").strip():
        raise UserValueError("A rejection needs a comment saying what to change.", "comment_required")
    require(may_sign(user, version, decision))  # refused early: no lock taken
    d = version.deliverable
    s = db.session()
    db.lock_row(Deliverable.version_count, d.id)  # serialise sign-offs of one deliverable
    s.refresh(d)
    s.refresh(version)
    s.refresh(version, ["signoffs"])
    require(may_sign(user, version, decision))
    step = workflow.current_step(version)
    so = Signoff(version_id=version.id, sha256=version.sha256, user_id=user.id, signer_name=user.name,
                 role=user.role, decision=decision, meaning=step.name_zh, step=step.key, comment=comment,
                 created_at=now())
    s.add(so)
    s.flush()
    workflow.after_signoff(version, so)
    refresh_deliverable(d)
    audit.record(f"signoff.{decision}", user, object_type="version", object_id=version.id,
                 project_code=d.project.code, deliverable_id=d.id, number=version.number, sha256=version.sha256,
                 comment=comment, step=step.key)
    return so
