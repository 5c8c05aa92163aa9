"""Document numbers (文档编号) and revision labels (issue 15).

A deliverable's `doc_no` is assigned once, when the deliverable is created, from the scheme in
catalog.yaml (`numbering`), and never changes: versions carry a separate revision label.

Revision rule (fixed when a version is stored): ``V<major>.<minor>`` where *major* is 1 plus
the number of earlier versions that were signed off, and *minor* counts the earlier versions
uploaded since the last signed-off one. So uploads give V1.0, V1.1, V1.2; once V1.2 is signed
off the next upload is V2.0, then V2.1, ...
"""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import select

from catalog import get_catalog
from core import db
from deliverables.models import Deliverable, Version


def document_doc_no(project_code: str, phase: str, seq: int) -> str:
    """The number of the `seq`-th catalog document of `phase`, e.g. ``ZHYQ-2026-XQ-02``."""
    return get_catalog().numbering.document_no(project_code, phase, seq)


def record_doc_no(project_code: str, record_key: str, period: str) -> str:
    """The number of a record instance, e.g. ``ZHYQ-2026-JCJL-2026W47`` or ``...-TSSL-E003``."""
    return get_catalog().numbering.record_no(project_code, record_key, period)


def number_documents(project_code: str, documents: Iterable) -> dict[str, str]:
    """Numbers of a new project's catalog documents (``key -> doc_no``): running per phase
    in catalog order. Called while the project row is new, so no other writer can race."""
    seqs: dict[str, int] = {}
    out = {}
    for doc in documents:
        seqs[doc.phase] = seqs.get(doc.phase, 0) + 1
        out[doc.key] = document_doc_no(project_code, doc.phase, seqs[doc.phase])
    return out


def revision_label(prior_signed: Iterable[bool]) -> str:
    """The label of a new version given, oldest first, whether each earlier version was signed off."""
    major, minor = 1, 0
    for signed in prior_signed:
        major, minor = (major + 1, 0) if signed else (major, minor + 1)
    return f"V{major}.{minor}"


def next_revision(d: Deliverable, before_number: int | None = None) -> str:
    """The revision label of the next version of `d` (or of version `before_number`)."""
    q = select(Version.signed_off_at).where(Version.deliverable_id == d.id)
    if before_number is not None:
        q = q.where(Version.number < before_number)
    rows = db.session().scalars(q.order_by(Version.number))
    return revision_label(v is not None for v in rows)
