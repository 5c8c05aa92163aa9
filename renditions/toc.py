"""Page numbers for a generated draft's 目录, made by the worker's LibreOffice.

Decision (issue 15): generating a draft is a request, LibreOffice lives in the worker. The
request renders the DOCX (python-docx, < 150 ms), queues the job `fill_toc` with the bytes and
waits at most HANDOVER_TOC_WAIT seconds (default 8) for its answer; the job lays the document
out in the warm listener (uno_toc.py: update every index, store as DOCX) and answers the
(entry, page) pairs of the 目录. The request writes those pages into its own DOCX
(templates_docs.toc_pages) and stores that as the version, so the DOCX and its PDF rendition
both show page numbers without F9. No answer in time (no worker, a cold listener, a failure):
the draft is stored as rendered, with Word's update-on-open flag, and the job is revoked.
Renditions switched off (HANDOVER_RENDITIONS=0): no job, no wait.
"""
from __future__ import annotations

import io
import logging
import shutil
import tempfile
import zipfile
from pathlib import Path

from flask import current_app

from renditions.office import HERE, office
from templates_docs.toc_pages import toc_entries, with_toc_pages

log = logging.getLogger("handover.renditions")

JOB = "fill_toc"
CLIENT = HERE / "uno_toc.py"
DEFAULT_WAIT = 8.0
FILL_SECONDS = 30.0


def _enabled() -> bool:
    return bool(current_app.config.get("HANDOVER_RENDITIONS", True))


def laid_out_entries(docx: bytes, seconds: float = FILL_SECONDS, workdir: Path | None = None,
                     memory_mb: int | None = None) -> list[list[str]]:
    """The [entry, page] pairs of `docx`'s 目录 once LibreOffice has laid it out ([] on failure)."""
    base = workdir or Path(tempfile.gettempdir())
    base.mkdir(parents=True, exist_ok=True)
    job_dir = Path(tempfile.mkdtemp(prefix="toc-", dir=base))
    try:
        source, target = job_dir / "draft.docx", job_dir / "filled.docx"
        source.write_bytes(docx)
        outcome = office(base, memory_mb).convert(source, target, seconds, client=CLIENT)  # the worker's listener
        if not outcome.ok:
            log.info("目录 not filled: %s", outcome.reason)
            return []
        return [[text, page] for text, page in toc_entries(target.read_bytes())]
    finally:
        shutil.rmtree(job_dir, ignore_errors=True)


def fill_job(docx: bytes) -> list[list[str]]:
    """The job `fill_toc`: the 目录's [entry, page] pairs of `docx` (returned to the waiting request)."""
    return laid_out_entries(docx, float(current_app.config.get("HANDOVER_RENDITION_SECONDS", FILL_SECONDS)),
                            Path(current_app.config["HANDOVER_DATA"]) / "renditions",
                            int(current_app.config.get("HANDOVER_RENDITION_MEMORY_MB", 2048)))


def has_toc(docx: bytes) -> bool:
    """Whether the DOCX has a TOC field (forms and records have none: nothing to wait for)."""
    try:
        with zipfile.ZipFile(io.BytesIO(docx)) as z:
            return b"TOC \\o" in z.read("word/document.xml")
    except (zipfile.BadZipFile, KeyError):
        return False


def with_filled_toc(docx: bytes, date) -> bytes:
    """`docx` with page numbers in its 目录 when the worker answers in time, else `docx` itself.

    Registered as the draft finisher (deliverables.draft_hooks) by renditions.init_app."""
    if not _enabled() or not has_toc(docx):
        return docx
    wait = float(current_app.config.get("HANDOVER_TOC_WAIT", DEFAULT_WAIT))
    if wait <= 0:
        return docx
    try:
        result = current_app.extensions["huey_tasks"][JOB](docx)
        # revoke_on_timeout: a job not started yet is skipped by the worker (nobody waits for it).
        entries = result.get(blocking=True, timeout=wait, max_delay=0.2, revoke_on_timeout=True)
    except Exception as exc:  # no queue, a timeout (ResultTimeout), a failed job: the draft as rendered
        log.info("目录 left for Word to fill: %s", type(exc).__name__)
        return docx
    filled = with_toc_pages(docx, [(t, p) for t, p in entries or []], date) if entries else None
    return filled or docx
