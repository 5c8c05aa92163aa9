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


def _sla_tick() -> dict:
    report = run_tick()
    return {"escalated": report.escalated, "created": report.created, "failed": report.failed}


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
