"""Document control of generated documents (issue 15): 修订记录 and 审批 from the register.

- 修订记录: one row per stored version of the deliverable (revision label, upload date in the
  local time zone, uploader, upload note, who approved it at the vendor's steps), plus the
  version about to be stored when a draft is generated.
- 审批 and the cover's 编制 / 审核 / 批准: 编制 is the author of the new version; then one row
  per step of the chain of the most recent version that has approvals (its own Version.chain,
  whatever the workflow is today), with the signer who approved each step; before anyone
  signed, the steps of the deliverable's current workflow, unsigned.

The current workflow is read in :func:`workflow_steps`, a version's chain in
:func:`chain_steps`; sign-offs in :func:`step_signers`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from core import db
from core.clock import local_tz
from deliverables.models import Deliverable, Signoff, Version
from deliverables.workflow import chain_of, steps_for

VENDOR_ROLES = ("pm", "engineer", "admin")


@dataclass(frozen=True)
class StepInfo:
    key: str
    name_zh: str
    role: str


@dataclass(frozen=True)
class Approval:
    """One row of 审批: the step, the side that signs it, who signed and when."""
    step: str
    client_side: bool
    signer: str = ""
    signed_at: datetime | None = None


def local_date(value: datetime | None) -> str:
    return value.astimezone(local_tz()).date().isoformat() if value else ""


def workflow_steps(d: Deliverable) -> list[StepInfo]:
    """The sign-off steps of `d` (the switch point to the workflow's interface)."""
    return [StepInfo(s.key, s.name_zh, s.role) for s in steps_for(d.project_id, d.document_key)]


def chain_steps(version: Version) -> list[StepInfo]:
    """The steps `version` started with (Version.chain; "" = the default chain)."""
    return [StepInfo(s.key, s.name_zh, s.role) for s in chain_of(version)]


def _versions(d: Deliverable) -> list[Version]:
    return list(db.session().scalars(select(Version).where(Version.deliverable_id == d.id)
                                     .order_by(Version.number)))


def _approvals(version_ids: list[int]) -> dict[int, list[Signoff]]:
    out: dict[int, list[Signoff]] = {}
    if version_ids:
        for so in db.session().scalars(select(Signoff).where(Signoff.version_id.in_(version_ids),
                                                             Signoff.decision == "approve")
                                       .order_by(Signoff.id)):
            out.setdefault(so.version_id, []).append(so)
    return out


def _match(step: StepInfo, approvals: list[Signoff], used: set[int]) -> Signoff | None:
    """The approval given at `step`: by step key (workflow sign-offs), else by meaning, else role."""
    for test in (lambda so: getattr(so, "step", "") == step.key,
                 lambda so: so.meaning == step.name_zh,
                 lambda so: so.role == step.role):
        for so in approvals:
            if so.id not in used and test(so):
                used.add(so.id)
                return so
    return None


def step_signers(steps: list[StepInfo], approvals: list[Signoff]) -> list[Approval]:
    """Each step with the approval that completed it on one version (if any)."""
    used: set[int] = set()
    out = []
    for step in steps:
        so = _match(step, approvals, used)
        out.append(Approval(step.name_zh, step.role == "client", so.signer_name if so else "",
                            so.created_at if so else None))
    return out


def control_facts(d: Deliverable, new_revision: str, author: str, note: str, when: datetime) -> dict:
    """Facts for templates_docs.DocFacts: doc_no, revisions, approvals and the cover's signers."""
    versions = _versions(d)
    approvals = _approvals([v.id for v in versions])
    steps = workflow_steps(d)
    vendor_steps = [s for s in steps if s.role != "client"]
    revisions = []
    for v in versions:
        reviewers = [so.signer_name for so in approvals.get(v.id, []) if so.role in VENDOR_ROLES]
        revisions.append((v.revision or f"V{v.number}", local_date(v.created_at),
                          v.uploaded_by.name if v.uploaded_by else "", v.note or "", "、".join(reviewers)))
    revisions.append((new_revision, local_date(when), author, note, ""))
    signed_version = next((v for v in reversed(versions) if approvals.get(v.id)), None)
    if signed_version is not None:
        # The steps that version went through (its own chain), not today's workflow: a chain
        # changed since then must not rename or drop the steps its signers approved.
        steps = chain_steps(signed_version)
        vendor_steps = [s for s in steps if s.role != "client"]
    rows = step_signers(steps, approvals[signed_version.id] if signed_version is not None else [])
    by_name = {r.step: r for r in rows}
    review = next((by_name[s.name_zh].signer for s in vendor_steps if "审" in s.name_zh or "校" in s.name_zh), "")
    approve = next((by_name[s.name_zh].signer for s in vendor_steps if "批" in s.name_zh), "")
    return {
        "doc_no": d.doc_no or "",
        "revisions": tuple(revisions),
        "approvals": tuple((r.step, r.client_side, r.signer, local_date(r.signed_at)) for r in rows),
        "signers": {"编制": author, "审核": review, "批准": approve},
    }
