"""A ZIP of a vendor's folder tree, uploaded on the import page, imported by the worker.

accept_zip() checks the archive (imports.zipsafe), keeps it as $HANDOVER_DATA/imports/<id>.zip
and adds the ImportRun row (queued) in the request's transaction; right after that commits
the job `import_zip` is queued (as renditions do: the queue is not in the database). Should
the queueing be lost (the app died between the commit and the queueing), the worker's sweep
queues runs that stayed queued for STALE. The job unpacks the ZIP into a work folder and
runs the same operation as the command line (imports.run) as the uploader, committing each
batch and the progress; it is idempotent (a re-run skips what is already imported), so a
retry or two workers on one run import each file once.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import and_, or_, select, update

from core import db
from core.job_promises import queue_after_commit, queue_job
from core.clock import now
from core.errors import NotFound
from core.models import User
from imports.matching import Matcher
from imports.models import DONE, FAILED, QUEUED, RUNNING, ImportRun
from imports.run import plan, run
from imports.zipsafe import check, unpack
from projects.models import Project
from projects.permissions import may_import, require

log = logging.getLogger("handover.imports")
JOB = "import_zip"
SWEEP_JOB = "import_sweep"
STALE = timedelta(minutes=10)


def folder() -> Path:
    return Path(current_app.config["HANDOVER_DATA"]) / "imports"


def zip_path(run_id: int) -> Path:
    return folder() / f"{run_id}.zip"


def accept_zip(user: User, project: Project, upload, filename: str) -> ImportRun:
    """Check an uploaded ZIP (upload: the request's core.upload.HashingFile) and promise its
    import: the row and the kept archive now, the job once this transaction commits."""
    require(may_import(user, project))
    upload.flush()
    fd = os.open(upload.name, os.O_RDONLY)  # fsync through any descriptor syncs the file's data
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    check(Path(upload.name))  # 400/413 before anything is kept
    s = db.session()
    r = ImportRun(project_id=project.id, user_id=user.id, filename=filename[:300], size=upload.size,
                  status=QUEUED, created_at=now())
    s.add(r)
    s.flush()
    folder().mkdir(parents=True, exist_ok=True)
    os.replace(upload.name, zip_path(r.id))  # the request's teardown finds the temp file gone
    _fsync_dir(folder())
    queue_after_commit(JOB, r.id)
    return r


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _claim(run_id: int) -> bool:
    """Take the run for this job: queued, failed (a retry) or running without a sign of life for
    STALE (its worker died); one UPDATE, so two workers never run one import at once."""
    s = db.session()
    at = now()
    res = s.execute(update(ImportRun).where(
        ImportRun.id == run_id,
        or_(ImportRun.status.in_((QUEUED, FAILED)),
            and_(ImportRun.status == RUNNING, ImportRun.updated_at < at - STALE)))
        .values(status=RUNNING, started_at=at, updated_at=at, error=""))
    s.commit()
    return res.rowcount == 1


def import_zip(run_id: int) -> str:
    """The job: unpack and import run `run_id` (idempotent; see the module docstring)."""
    s = db.session()
    r = s.get(ImportRun, run_id)
    if r is None or r.status == DONE:
        return "nothing to do"
    project, user = s.get(Project, r.project_id), s.get(User, r.user_id)
    if project is None or user is None:
        raise NotFound("The import's project or uploader is gone.")
    if not _claim(run_id):
        return "running elsewhere"
    work = folder() / f"work-{run_id}"
    shutil.rmtree(work, ignore_errors=True)
    try:
        unpack(zip_path(run_id), work)
        items = plan(work, Matcher())

        def progress(done: int, total: int) -> None:
            s.execute(update(ImportRun).where(ImportRun.id == run_id).values(done=done, total=total,
                                                                             updated_at=now()))
            s.commit()

        out = run(project, user, items, progress=progress)
        r = s.get(ImportRun, run_id)
        r.status, r.finished_at = DONE, now()
        r.result = json.dumps(out.as_json(), ensure_ascii=False)
        s.commit()
    except Exception as exc:
        s.rollback()
        r = s.get(ImportRun, run_id)
        r.status, r.error, r.finished_at = FAILED, f"{type(exc).__name__}: {exc}"[:2000], now()
        s.commit()
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    try:
        zip_path(run_id).unlink()
    except FileNotFoundError:
        pass
    return f"placed {len(out.placed)}"


def sweep() -> int:
    """Queue again the runs still queued after STALE (their job was lost) and the runs whose
    worker died (running, no sign of life for STALE)."""
    old = now() - STALE
    ids = list(db.session().scalars(select(ImportRun.id).where(or_(
        and_(ImportRun.status == QUEUED, ImportRun.created_at < old),
        and_(ImportRun.status == RUNNING, ImportRun.updated_at < old)))))
    for run_id in ids:
        queue_job(JOB, run_id)
    return len(ids)


def run_json(r: ImportRun) -> dict:
    """The API/page shape of a run."""
    return {"id": r.id, "filename": r.filename, "size": r.size, "status": r.status, "total": r.total,
            "done": r.done, "result": json.loads(r.result) if r.result else None, "error": r.error or None,
            "created_at": r.created_at.isoformat() if r.created_at else None,
            "finished_at": r.finished_at.isoformat() if r.finished_at else None}


def runs_of(project: Project, limit: int = 20) -> list[ImportRun]:
    return list(db.session().scalars(select(ImportRun).where(ImportRun.project_id == project.id)
                                     .order_by(ImportRun.id.desc()).limit(limit)))
