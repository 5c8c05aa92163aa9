"""OCR of scans: images (PNG, JPEG, TIFF) and PDFs without a text layer are read by
tesseract (chi_sim+eng) in the worker, never in the upload request.

The promise is the version's search_texts row, written in the upload's transaction with
text_status `ocr_pending` (search.index_version asks needs_ocr); right after that
transaction commits, the job `ocr_version` is queued. Should the queue miss it (the app
died between the commit and the queueing, Redis was away), the periodic `ocr_sweep`
queues pending rows that waited too long. The job runs the bounded subprocess of
search.sandbox (HANDOVER_OCR_SECONDS, HANDOVER_OCR_MEMORY_MB) outside any transaction,
then stores the text (`ocr`) and indexes it like any other, or records the failure
(`failed`, text_error "OCR: reason"). While pending, text_error says which attempt runs
since when ("OCR attempt N started <time>", committed before the work): a file that kills
the worker is tried at most MAX_ATTEMPTS times, never forever. `flask search reindex`
keeps recognised texts and queues failed ones again.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from core import db
from core.job_promises import queue_after_commit, queue_job
from core.clock import iso, now
from core.storage import blob_path
from search import extract
from search.analysis import CJK_CLASS
from search.models import SearchText
from search.sandbox import EXTRACTED, FAILED, NOT_SUPPORTED, Extraction, Limits, clean_text, ocr_file

log = logging.getLogger("handover.search")

JOB = "ocr_version"
SWEEP_JOB = "ocr_sweep"
PENDING, RECOGNISED = "ocr_pending", "ocr"
MAX_ATTEMPTS = 3
SWEEP_BATCH = 100
MIN_CHARS_PER_PAGE = 8  # a page with fewer letters/digits than this has no text layer worth the name
_ATTEMPT = re.compile(r"OCR attempt (\d+) started (\S+)")
# tesseract's Chinese model often separates characters by spaces: they would split the bigrams.
_CJK_GAP = re.compile(f"(?<=[{CJK_CLASS}])[ \\t]+(?=[{CJK_CLASS}])")


def limits(app=None) -> Limits:
    cfg = (app or current_app).config
    return Limits(float(cfg.get("HANDOVER_OCR_SECONDS", 300)), int(cfg.get("HANDOVER_OCR_MEMORY_MB", 1024)))


def is_image(filename: str) -> bool:
    return Path(filename).suffix.lower() in extract.IMAGE_EXT


def needs_ocr(filename: str, extraction: Extraction) -> bool:
    """An image, or a PDF whose text layer is (nearly) empty: at least half of its pages
    have fewer than MIN_CHARS_PER_PAGE letters or digits (a scan with a page number or a
    stamp printed on it counts; pdftotext ends every page with a form feed)."""
    if extraction.status == NOT_SUPPORTED:
        return is_image(filename)
    if extraction.status != EXTRACTED or Path(filename).suffix.lower() != ".pdf":
        return False
    pages = extraction.text.split("\f")
    if len(pages) > 1 and not pages[-1].strip():
        pages.pop()  # the text after the last page's form feed
    empty = sum(1 for page in pages if sum(c.isalnum() for c in page) < MIN_CHARS_PER_PAGE)
    return empty * 2 >= len(pages)


def promise(version_id: int) -> None:
    """Queue the OCR job of `version_id` once the current transaction commits (its row
    says `ocr_pending` in that transaction: the sweep queues it should this be lost)."""
    queue_after_commit(JOB, version_id)


def _attempt(error: str) -> tuple[int, datetime | None]:
    """(attempts so far, when the last one started) from a pending row's text_error."""
    m = _ATTEMPT.search(error or "")
    if not m:
        return 0, None
    try:
        return int(m.group(1)), datetime.fromisoformat(m.group(2))
    except ValueError:
        return int(m.group(1)), None


def _stale_after() -> timedelta:
    """How long an attempt may run before another worker may take the row over."""
    return timedelta(seconds=limits().seconds * 2 + 60)


def recognise(version_id: int) -> str:
    """The job: read version `version_id` by OCR if its text is still pending; returns the
    row's status. Idempotent: a row that is not pending, or whose attempt another worker
    started recently, is left alone."""
    from deliverables.models import Version  # late: deliverables.versions imports the search facade
    from search import index_version  # late: the facade imports this module
    s = db.session()
    row, v = s.get(SearchText, version_id), s.get(Version, version_id)
    if row is None or v is None or row.status != PENDING:
        return row.status if row else "missing"
    attempts, started = _attempt(row.error)
    if started is not None and now() - started < _stale_after():
        return PENDING  # another worker is on it
    if attempts >= MAX_ATTEMPTS:
        _store(v, Extraction(FAILED, error=f"OCR: gave up after {attempts} attempts (the worker stopped)"))
        return FAILED
    # Counted before the work and committed: an OCR run that kills the worker still counts.
    row.error = f"OCR attempt {attempts + 1} started {iso(now())}"
    filename, path = v.filename, blob_path(v.sha256)
    s.commit()
    result = ocr_file(path, filename, limits())  # minutes at most, outside any transaction
    row = s.get(SearchText, version_id)
    if row is None or row.status != PENDING:
        return row.status if row else "missing"
    v = s.get(Version, version_id)
    if result.status == EXTRACTED:
        text = clean_text(_CJK_GAP.sub("", result.text))
        if not text.strip():
            text = row.body  # nothing recognised: keep what the text layer had
        index_version(v, Extraction(RECOGNISED, text))
        log.info("OCR of %s (version %s): %d characters", filename, version_id, len(text))
        return RECOGNISED
    _store(v, Extraction(FAILED, text=row.body, error=f"OCR: {result.error}"))
    return FAILED


def _store(version, extraction: Extraction) -> None:
    from search import index_version  # late: the facade imports this module
    index_version(version, extraction)


def sweep() -> dict:
    """The periodic job: pending rows whose job was lost (never started and older than a
    minute) or whose attempt went stale are queued again."""
    from deliverables.models import Version  # late: deliverables.versions imports the search facade
    s = db.session()
    rows = s.execute(select(SearchText.version_id, SearchText.error, Version.created_at)
                     .join(Version, Version.id == SearchText.version_id)
                     .where(SearchText.status == PENDING).order_by(SearchText.version_id).limit(SWEEP_BATCH)).all()
    queued = 0
    current = now()
    for vid, error, created in rows:
        _n, started = _attempt(error)
        since = started or _aware(created)
        wait = _stale_after() if started else timedelta(minutes=1)
        if since is None or current - since >= wait:
            queued += queue_job(JOB, vid)
    return {"pending": len(rows), "queued": queued}


def _aware(dt: datetime | None) -> datetime | None:
    if dt is not None and dt.tzinfo is None:  # naive times from SQLite are UTC
        return dt.replace(tzinfo=timezone.utc)
    return dt
