"""An import of a ZIP uploaded on the import page: its state, progress and result."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


class ImportRun(Base):
    """One ZIP import: queued (the job is promised), running (done/total files), done (result
    JSON: imports.run.Outcome.as_json) or failed (error). The ZIP waits in
    $HANDOVER_DATA/imports/<id>.zip until the run is done."""
    __tablename__ = "import_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    filename: Mapped[str] = mapped_column(String(300), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default=QUEUED, index=True)
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Last sign of life of the job running it (claim, each committed batch): a run still
    # `running` with no sign for imports.zipimport.STALE lost its worker and is taken again.
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
