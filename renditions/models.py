"""One rendition per stored file (keyed by the source blob's sha256): the PDF a browser
previews and controlled copies are stamped on, or why there is none."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime

PENDING, READY, NO_PREVIEW = "pending", "ready", "no_preview"
STATUSES = (PENDING, READY, NO_PREVIEW)


class Rendition(Base):
    """The PDF made from the blob `sha256` (made once per sha256, whichever version holds it).

    status: pending (the worker has not made it yet), ready (pdf_sha256 is a blob), no_preview
    (reason says why: a type without a rendition, a failed or timed-out conversion; never
    retried by itself — `flask renditions rebuild` does)."""
    __tablename__ = "renditions"
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default=PENDING, index=True)
    pdf_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"), nullable=True)
    pages: Mapped[int | None] = mapped_column(Integer, nullable=True)
    converter: Mapped[str] = mapped_column(String(32), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
