"""`flask worker` runs the queue; `flask jobs failed|retry` show and retry failed jobs."""
from __future__ import annotations

import json
import logging
import os

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from core import db
from core.clock import iso, now
from jobs.models import JobFailure
from jobs.worker import run_worker

jobs_cli = AppGroup("jobs", help="Background jobs: failures after the last try.")


def default_threads() -> int:
    """Worker threads: jobs mostly wait on subprocesses and the database, so 2 per core."""
    return max(2, 2 * (os.cpu_count() or 1))


@click.command("worker")
@click.option("--threads", type=int, default=None, help="Worker threads (default: 2 per core).")
@with_appcontext
def worker_command(threads):
    """Run background jobs (SLA tick every minute, queued work) until stopped (Ctrl-C / SIGTERM)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    huey = current_app.extensions["huey"]
    banner = (f"worker: queue {type(huey.storage).__name__}, {threads or default_threads()} threads, "
              f"jobs: {', '.join(sorted(current_app.extensions['huey_tasks']))}")
    run_worker(huey, threads or default_threads(), banner)


@jobs_cli.command("failed")
@click.option("--all", "show_all", is_flag=True, help="Also list failures already retried.")
@with_appcontext
def jobs_failed(show_all):
    """List jobs that failed after their last try (exit 0 even when there are some)."""
    q = select(JobFailure).order_by(JobFailure.id)
    if not show_all:
        q = q.where(JobFailure.retried_at.is_(None))
    rows = list(db.session().scalars(q))
    for f in rows:
        click.echo(f"#{f.id} {f.job}({f.args}) failed at {iso(f.failed_at)} after {f.attempts} "
                   f"tr{'y' if f.attempts == 1 else 'ies'}: {f.error}"
                   + (f" (retried at {iso(f.retried_at)})" if f.retried_at else ""))
    click.echo(f"{len(rows)} failed job(s)")


@jobs_cli.command("retry")
@click.argument("failure_id", type=int)
@with_appcontext
def jobs_retry(failure_id):
    """Queue a failed job again (it gets its tries anew)."""
    s = db.session()
    f = s.get(JobFailure, failure_id)
    if f is None:
        raise click.ClickException(f"no failed job #{failure_id}")
    tasks = current_app.extensions["huey_tasks"]
    if f.job not in tasks:
        raise click.ClickException(f"job {f.job} no longer exists")
    tasks[f.job](*json.loads(f.args))
    f.retried_at = now()
    s.commit()
    click.echo(f"queued {f.job} again")
