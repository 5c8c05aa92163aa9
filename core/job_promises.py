"""Queue a background job once the current transaction commits.

The row that promises the work (a pending rendition, an OCR-pending text, a queued import) is
written in the caller's transaction; the job is queued only after that commit, so a worker
never looks for a row that is not there yet, and a rollback queues nothing. Queueing is best
effort: each feature's periodic sweep queues again what a failed `queue_job` left behind.
Jobs are looked up by name in app.extensions["huey_tasks"] (jobs.runner registers them), so
core imports no domain package.
"""
from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import event

from core import db

log = logging.getLogger("handover.jobs")

_KEY = "handover.jobs_after_commit"  # session.info: {job name: {args}}


def queue_after_commit(job: str, arg) -> None:
    """Queue `job(arg)` when the current session's transaction commits (once per arg)."""
    s = db.session()
    s.info.setdefault(_KEY, {}).setdefault(job, set()).add(arg)
    if not event.contains(s, "after_commit", _queue_promised):
        event.listen(s, "after_commit", _queue_promised)
        event.listen(s, "after_rollback", _forget_promised)


def queue_job(job: str, arg) -> bool:
    """Queue `job(arg)` now; False (logged) when the queue does not take it."""
    try:
        current_app.extensions["huey_tasks"][job](arg)
        return True
    except Exception as exc:  # the promising row stays: the feature's sweep queues it again
        log.warning("could not queue %s(%r): %s", job, arg, exc)
        return False


def _queue_promised(session) -> None:
    for job, args in session.info.pop(_KEY, {}).items():
        for arg in sorted(args):
            queue_job(job, arg)


def _forget_promised(session) -> None:
    session.info.pop(_KEY, None)
