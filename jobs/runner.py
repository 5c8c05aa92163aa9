"""How a job runs: in an app context, committed on success, retried with exponential
back-off, and recorded in job_failures after its last try."""
from __future__ import annotations

import json
import logging
import traceback
from typing import Callable

from flask import Flask
from huey import Huey
from huey.exceptions import RetryTask, TaskLockedException

from core import db
from core.clock import now
from jobs.models import JobFailure

log = logging.getLogger("handover.jobs")


def backoff_seconds(base: float, attempt: int, cap: float = 3600.0) -> float:
    """Delay before try `attempt + 1`: base, 2·base, 4·base, … at most `cap`."""
    return min(cap, base * 2 ** (attempt - 1))


def record_failure(app: Flask, name: str, args: tuple, exc: BaseException, attempts: int) -> None:
    """Write the failure in its own transaction, so an admin sees it (`flask jobs failed`)."""
    with app.app_context():
        s = db.session()
        s.rollback()
        s.add(JobFailure(job=name, args=json.dumps(list(args), ensure_ascii=False, default=str)[:4000],
                         error=f"{type(exc).__name__}: {exc}"[:2000],
                         trace="".join(traceback.format_exception(exc))[-8000:],
                         attempts=attempts, failed_at=now()))
        s.commit()


def register_job(app: Flask, huey: Huey, name: str, fn: Callable, *, schedule=None, retries: int = 4,
                 base_delay: float = 10.0, lock: str | None = None):
    """Register `fn` as the job `name` on `huey` (periodic when `schedule` is a crontab).

    A one-off job gets `retries` more tries, `base_delay`·2^n seconds apart; a periodic
    job is not retried (its next run is the retry) but every failure is recorded.
    """
    total = 1 if schedule is not None else retries + 1

    def run(*args, task=None):
        left = task.retries if task is not None else 0
        attempt = total - left
        try:
            with app.app_context():
                if lock:
                    with huey.lock_task(lock):
                        result = fn(*args)
                else:
                    result = fn(*args)
                db.session().commit()
                return result
        except TaskLockedException:
            raise  # another worker runs this very job right now: skipped, not failed
        except Exception as exc:
            if left > 0:
                log.warning("job %s failed (try %d of %d), retrying: %s", name, attempt, total, exc)
                task.retries -= 1  # RetryTask itself does not use up a try
                raise RetryTask(delay=backoff_seconds(base_delay, attempt)) from exc
            log.exception("job %s failed after %d tries", name, attempt)
            record_failure(app, name, args, exc, attempt)
            raise

    run.__name__ = name
    if schedule is not None:
        task = huey.periodic_task(schedule, context=True, name=name)(run)
    else:
        task = huey.task(retries=retries, context=True, name=name)(run)
    app.extensions.setdefault("huey_tasks", {})[name] = task
    return task
