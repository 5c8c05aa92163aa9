"""Renditions: the PDF of every stored file, made by the worker, once per sha256.

The promise is written with the upload: deliverables calls our hook inside the version's
transaction, which adds a `pending` row (unless the blob has one already); right after that
transaction commits, the job `render_version` is queued. Should the queue miss it (the app
died between the commit and the queueing, Redis was away), the worker's sweep every minute
queues pending rows that waited too long and adds rows for versions without one (files
stored before renditions existed). A conversion runs outside any transaction; its outcome is
`ready` (the PDF a blob with its own row, so fsck checks it and repair never removes it) or
`no_preview` with the reason. A row is tried at most MAX_ATTEMPTS times (a worker killed
mid-conversion), never forever; `flask renditions rebuild` starts one afresh.
"""
from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import select, update

from core import db
from core.job_promises import queue_after_commit, queue_job
from core.clock import now
from core.models import Blob
from core.storage import blob_path, finalise_blob, open_temp, read_chunks
from deliverables import draft_hooks, version_hooks
from deliverables.models import Version
from renditions import convert, toc
from renditions.models import NO_PREVIEW, PENDING, READY, Rendition
from search.ocr import limits as ocr_limits

log = logging.getLogger("handover.renditions")

JOB = "render_version"
SWEEP_JOB = "rendition_sweep"
MAX_ATTEMPTS = 3
STALE = timedelta(minutes=10)  # a pending row queued longer ago than this is queued again
SWEEP_BATCH = 200


def enabled(app=None) -> bool:
    return bool((app or current_app).config.get("HANDOVER_RENDITIONS", True))


def init_app(app: Flask) -> None:
    """Promise a rendition with every new version (the jobs are registered by jobs.init_app)."""
    version_hooks.on_version_added(_version_added)
    draft_hooks.on_docx_draft(toc.with_filled_toc)  # generated drafts get the 目录's page numbers
    # Listed and checked by `flask fsck` (deliverables.cli runs the checks areas register).
    from renditions.cli import fsck_check  # here: renditions.cli imports this package
    checks = app.extensions.setdefault("handover.fsck_checks", [])
    if fsck_check not in checks:
        checks.append(fsck_check)


# -- the promise, in the upload's transaction -----------------------------------------
def _version_added(versions: list[Version]) -> None:
    """The rendition rows of a batch's new blobs (one read, one multi-row insert), each
    pending one's job queued once the transaction commits."""
    if not enabled():
        return
    s = db.session()
    wanted: dict[str, str] = {}
    for v in versions:
        wanted.setdefault(v.sha256, v.filename)
    have = set(s.scalars(select(Rendition.sha256).where(Rendition.sha256.in_(list(wanted)))))
    at = now()
    rows = [_new_row(sha, filename, at) for sha, filename in wanted.items() if sha not in have]
    if not rows:
        return
    s.execute(Rendition.__table__.insert(), rows)
    for row in rows:
        if row["status"] == PENDING:
            queue_after_commit(JOB, row["sha256"])


def _new_row(sha256: str, filename: str, at) -> dict:
    """A new rendition row: pending for a type that has one, else `no_preview` at once."""
    kind = convert.kind_of(filename)
    return dict(sha256=sha256, status=PENDING if kind else NO_PREVIEW, converter="", attempts=0,
                reason="" if kind else "no preview for this file type", requested_at=at,
                finished_at=None if kind else at)


def request_rendition(sha256: str, filename: str) -> bool:
    """Add the blob's rendition row in the current transaction; True when the worker has work.

    A type without a rendition gets its `no_preview` row at once (nothing to queue)."""
    s = db.session()
    if s.get(Rendition, sha256) is not None:
        return False
    row = Rendition(**_new_row(sha256, filename, now()))
    s.add(row)
    s.flush()
    return row.status == PENDING


# -- the worker -----------------------------------------------------------------------
def _filename_of(sha256: str) -> str | None:
    return db.session().scalar(select(Version.filename).where(Version.sha256 == sha256).order_by(Version.id))


def workdir() -> Path:
    return Path(current_app.config["HANDOVER_DATA"]) / "renditions"


def render(sha256: str) -> str:
    """The job: make the rendition of blob `sha256` if it is still pending; returns its status.

    Idempotent: a row that is not pending is left alone (two workers, a job queued twice)."""
    s = db.session()
    row = s.get(Rendition, sha256)
    if row is None or row.status != PENDING:
        return row.status if row else "missing"
    filename = _filename_of(sha256)
    if row.attempts >= MAX_ATTEMPTS or filename is None:
        reason = (f"gave up after {row.attempts} attempts (the worker stopped during the conversion)"
                  if filename else "no version holds this file")
        _finish(sha256, NO_PREVIEW, reason=reason)
        return NO_PREVIEW
    # Counted before the work and committed: a conversion that kills the worker still counts.
    s.execute(update(Rendition).where(Rendition.sha256 == sha256).values(attempts=Rendition.attempts + 1))
    s.commit()
    base = workdir()
    base.mkdir(parents=True, exist_ok=True)
    job_dir = Path(tempfile.mkdtemp(prefix="job-", dir=base))
    try:
        target = job_dir / "out.pdf"
        seconds = float(current_app.config.get("HANDOVER_RENDITION_SECONDS", 120))
        try:
            result = convert.to_pdf(blob_path(sha256), filename, target, seconds, profiles=base,
                                    memory_mb=int(current_app.config.get("HANDOVER_RENDITION_MEMORY_MB", 2048)),
                                    ocr=ocr_limits())
        except Exception as exc:  # whatever the file does, it ends as no_preview, never as a retry loop
            log.exception("rendition of %s (%s) failed", sha256, filename)
            result = convert.Result(False, "", f"conversion failed: {type(exc).__name__}: {exc}"[:300])
        if not result.ok:
            log.info("no preview for %s (%s): %s", filename, sha256[:12], result.reason)
            _finish(sha256, NO_PREVIEW, converter=result.converter, reason=result.reason, seconds=result.seconds)
            return NO_PREVIEW
        if result.converter == "pdf":
            pdf_sha, pages = sha256, _pages(blob_path(sha256))
        else:
            pdf_sha, size = _store(target)
            pages = _pages(target)
            if s.get(Blob, pdf_sha) is None:
                s.add(Blob(sha256=pdf_sha, size=size, created_at=now()))
                s.flush()
        # A reason on a ready row: a scanned PDF whose OCR failed is shown as it is.
        _finish(sha256, READY, pdf_sha256=pdf_sha, pages=pages, converter=result.converter, seconds=result.seconds,
                reason=result.reason)
        log.info("rendition of %s (%s): %s pages in %.2f s%s", filename, sha256[:12], pages, result.seconds,
                 " (cold start)" if result.cold else "")
        return READY
    finally:
        shutil.rmtree(job_dir, ignore_errors=True)


def _finish(sha256: str, status: str, **values) -> None:
    """Record the outcome if the row is still pending (a faster worker may have finished it)."""
    s = db.session()
    s.execute(update(Rendition).where(Rendition.sha256 == sha256, Rendition.status == PENDING)
              .values(status=status, finished_at=now(), **values))
    s.commit()


def _store(path: Path) -> tuple[str, int]:
    """Copy the made PDF into the blob store (temp, fsync, rename): its sha256 and size."""
    digest, size = hashlib.sha256(), 0
    out, tmp_name = open_temp()
    try:
        with open(path, "rb") as fh:
            for chunk in read_chunks(fh):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        blob = finalise_blob(out, tmp_name, digest.hexdigest(), size)
    except BaseException:
        out.close()
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return blob.sha256, blob.size


def _pages(path: Path) -> int | None:
    from pypdf import PdfReader  # on demand: only the worker counts pages

    try:
        return len(PdfReader(path).pages)
    except Exception:  # the page count is information only
        return None


def sweep() -> dict:
    """The periodic job: rows for versions without one, pending rows queued again when stale."""
    if not enabled():
        return {"added": 0, "queued": 0}
    s = db.session()
    missing = s.execute(select(Version.sha256, Version.filename)
                        .where(~select(Rendition.sha256).where(Rendition.sha256 == Version.sha256).exists())
                        .order_by(Version.id).limit(SWEEP_BATCH)).all()
    to_queue = []
    for sha, filename in missing:
        if s.get(Rendition, sha) is None and request_rendition(sha, filename):
            to_queue.append(sha)
    s.commit()
    stale = list(s.scalars(select(Rendition.sha256).where(Rendition.status == PENDING,
                                                          Rendition.requested_at < now() - STALE)
                          .order_by(Rendition.requested_at).limit(SWEEP_BATCH)))
    if stale:
        s.execute(update(Rendition).where(Rendition.sha256.in_(stale)).values(requested_at=now()))
    s.commit()
    queued = sum(1 for sha in to_queue + stale if queue_job(JOB, sha))
    added = len(missing)
    return {"added": added, "queued": queued}


def rebuild(shas: list[str] | None = None) -> int:
    """Mark renditions to be made again (all, or those of `shas`) and queue them; returns how many.

    The old PDF blob stays stored (stored bytes never change). Commits, then queues."""
    s = db.session()
    q = update(Rendition).values(status=PENDING, attempts=0, reason="", pdf_sha256=None, pages=None,
                                 requested_at=now(), finished_at=None)
    if shas is not None:
        q = q.where(Rendition.sha256.in_(shas))
    count = s.execute(q).rowcount
    s.commit()
    wanted = list(s.scalars(select(Rendition.sha256).where(Rendition.status == PENDING)))
    for sha in wanted:
        queue_job(JOB, sha)
    return count


def rendition_of(sha256: str) -> Rendition | None:
    return db.session().get(Rendition, sha256)
