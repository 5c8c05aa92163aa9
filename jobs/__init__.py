"""Background work: the job queue (huey), the worker, periodic jobs and failed-job records.

The queue lives in HANDOVER_DATA/jobs.db (SQLite, the embedded default) or in Redis when
HANDOVER_REDIS_URL is set (several app servers and workers). `flask --app app worker` runs
it. Jobs run inside an app context, commit on success, are retried with exponential
back-off and, after their last try, are written to the job_failures table (`flask jobs
failed`), never silently dropped. Jobs are idempotent: two workers may run the same one.
"""
from __future__ import annotations

from flask import Flask
from huey import crontab

from jobs.health import bp as health_bp
from jobs.queue import make_huey
from jobs.runner import register_job
from maintenance.tick import run_tick
from notifications.outbox import SEND_JOB
from notifications.sender import send_pending
from renditions import JOB as RENDER_JOB, SWEEP_JOB as RENDITION_SWEEP_JOB, render, sweep, toc
from search import ocr
from search.engines import pg_merge
from imports import zipimport


def _sla_tick() -> dict:
    report = run_tick()
    return {"escalated": report.escalated, "created": report.created, "reminded": report.reminded,
            "failed": report.failed}


def init_app(app: Flask) -> None:
    """Create the app's queue, register its jobs (the worker and the web share them) and /healthz."""
    init_app_queue(app)
    app.register_blueprint(health_bp)


def init_app_queue(app: Flask) -> None:
    """(Re)build the queue from app.config and register the jobs on it."""
    huey = make_huey(app.config)
    app.extensions["huey"] = huey
    app.extensions["huey_tasks"] = {}
    # Every minute, so that escalation and record instances never wait for a page view.
    # The lock keeps two workers on one queue from ticking at once; run_tick is idempotent anyway.
    register_job(app, huey, "sla_tick", _sla_tick, schedule=crontab(minute="*"), lock="sla-tick")
    # Every minute and right after a transaction that queued notices (notifications.outbox);
    # no lock: rows are claimed one UPDATE at a time, so several workers may send at once.
    register_job(app, huey, SEND_JOB, send_pending, schedule=crontab(minute="*"))
    # Renditions (renditions/__init__.py): one job per file, queued once the upload commits;
    # a file that fails is recorded as no_preview, so retries are for the worker's own
    # troubles only. The sweep queues rows whose job was lost and adds rows for older versions.
    register_job(app, huey, RENDER_JOB, render, retries=2, base_delay=30.0)
    register_job(app, huey, RENDITION_SWEEP_JOB, sweep, schedule=crontab(minute="*"), lock="rendition-sweep")
    # The 目录's page numbers of a draft being generated (renditions/toc.py): a request waits a
    # few seconds for the answer, so a failure is not retried (the draft keeps Word's update flag).
    register_job(app, huey, toc.JOB, toc.fill_job, retries=0)
    # OCR of scans (search/ocr.py): one job per version, queued once the upload commits; a
    # file that fails is recorded as text_status failed (retries are for the worker's own
    # troubles); the sweep queues pending rows whose job was lost or whose attempt went stale.
    register_job(app, huey, ocr.JOB, ocr.recognise, retries=2, base_delay=30.0)
    register_job(app, huey, ocr.SWEEP_JOB, ocr.sweep, schedule=crontab(minute="*"), lock="ocr-sweep")
    # ZIP imports from the import page (imports/zipimport.py): one job per run, queued once the
    # run's row commits; idempotent (a re-run skips imported files); the sweep re-queues lost ones.
    register_job(app, huey, zipimport.JOB, zipimport.import_zip, retries=2, base_delay=30.0)
    register_job(app, huey, zipimport.SWEEP_JOB, zipimport.sweep, schedule=crontab(minute="*"), lock="import-sweep")
    # PostgreSQL search (search/engines/pg_merge.py): new chunks move from the cheap-to-insert
    # recent table into the RUM-indexed one; rows are claimed with SKIP LOCKED, the lock only
    # spares a second worker a pointless run.
    register_job(app, huey, pg_merge.JOB, pg_merge.job, schedule=crontab(minute="*"), lock="search-merge")
