"""Deliverables, versions and sign-offs (projects live in projects.models)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime
from core.models import User
from projects.models import Project

STATUSES = ("missing", "draft", "in_review", "rejected", "signed_off")


class Deliverable(Base):
    """A required document (kind 'document') or a recurring record instance (kind 'record').

    `status`, `latest_version_id` and `latest_signed_version_id` are derived columns,
    recomputed by deliverables.signoff_state.refresh_deliverable after every write.
    """
    __tablename__ = "deliverables"
    __table_args__ = (UniqueConstraint("project_id", "document_key", "period"),
                      Index("uq_deliverables_project_doc_no", "project_id", "doc_no", unique=True))
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="document")
    document_key: Mapped[str] = mapped_column(String(64))
    phase: Mapped[str] = mapped_column(String(32), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    period: Mapped[str] = mapped_column(String(32), default="")
    title: Mapped[str] = mapped_column(String(200), default="")
    # 文档编号: assigned at creation from catalog.yaml `numbering`, never changed (issue 15).
    doc_no: Mapped[str | None] = mapped_column(String(64), nullable=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="missing", index=True)
    version_count: Mapped[int] = mapped_column(Integer, default=0)
    latest_version_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)  # search joins on it (0013)
    latest_signed_version_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    project: Mapped[Project] = relationship()


class Version(Base):
    """Immutable stored version; its bytes are the blob with `sha256`."""
    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("deliverable_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    deliverable_id: Mapped[int] = mapped_column(ForeignKey("deliverables.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    filename: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(200), default="application/octet-stream")
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16), default="upload")
    # Revision label V<major>.<minor> fixed at upload (deliverables.doc_numbers.revision_label).
    revision: Mapped[str] = mapped_column(String(16), default="")
    # 填写说明 still in the DOCX (templates_docs.hints), counted at upload; NULL: not a DOCX / unread.
    hints: Mapped[int | None] = mapped_column(Integer, nullable=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    signed_off_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The sign-off chain this version started with (JSON list of steps, deliverables.workflow),
    # and where it stands: the step now waiting (all NULL once signed off, rejected or superseded).
    chain: Mapped[str] = mapped_column(Text, default="")
    step_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    step_key: Mapped[str | None] = mapped_column(String(32), nullable=True)
    step_name: Mapped[str | None] = mapped_column(String(32), nullable=True)
    step_role: Mapped[str | None] = mapped_column(String(16), nullable=True, index=True)
    step_users: Mapped[str | None] = mapped_column(String(1000), nullable=True)  # ",3,7," named members
    step_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    step_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When the version reached the client's steps (every vendor step approved): from then on the
    # client sees it (deliverables.visibility); cleared when a newer version supersedes it.
    client_step_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deliverable: Mapped[Deliverable] = relationship()
    uploaded_by: Mapped[User | None] = relationship()
    signoffs: Mapped[list["Signoff"]] = relationship(order_by="Signoff.id", back_populates="version")


class Signoff(Base):
    """An approval or rejection of one version (pinned by id and sha256); never edited."""
    __tablename__ = "signoffs"
    __table_args__ = (UniqueConstraint("version_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signer_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    decision: Mapped[str] = mapped_column(String(16))
    meaning: Mapped[str] = mapped_column(String(16))
    step: Mapped[str] = mapped_column(String(32), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[Version] = relationship(back_populates="signoffs")


class Workflow(Base):
    """A project's sign-off chain (document_key "") or its override for one catalog document.

    `steps` is JSON (deliverables.workflow.Step.as_json); no row means the default chain."""
    __tablename__ = "workflows"
    __table_args__ = (UniqueConstraint("project_id", "document_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    document_key: Mapped[str] = mapped_column(String(64), default="")
    steps: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
