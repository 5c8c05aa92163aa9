"""The job queue and the worker: `flask worker` as a real process ticks the SLA clock,
two workers at once never escalate twice, failing jobs are retried with back-off and
recorded, /healthz checks the database and the queue. Embedded queue always; Redis too
when it answers at 127.0.0.1:6379."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import date

import pytest
from sqlalchemy import func, select

from core import db
from processes import stop, wait_for, wait_for_line

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REDIS_URL = "redis://127.0.0.1:6379/12"


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


QUEUES = ["sqlite"] + (["redis"] if _redis_answers() else [])


@pytest.fixture(params=QUEUES)
def queue_backend(request):
    return request.param


@pytest.fixture
def queue_app(app, queue_backend):
    """The app with its queue on the chosen backend (Redis: db 12, emptied)."""
    if queue_backend == "redis":
        import redis
        redis.Redis.from_url(REDIS_URL).flushdb()
        app.config["HANDOVER_REDIS_URL"] = REDIS_URL
        import jobs
        jobs.init_app_queue(app)
    yield app


def _env(app) -> dict:
    env = dict(os.environ)
    env.update(HANDOVER_DATA=app.config["HANDOVER_DATA"], DATABASE_URL=app.config["DATABASE_URL"],
               HANDOVER_REDIS_URL=app.config.get("HANDOVER_REDIS_URL") or "", PYTHONUNBUFFERED="1")
    return env


def _start_worker(app, log_path):
    """A worker process, returned once it is up (a Ctrl-C from then on is a graceful stop)."""
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker", "--threads", "2"],
                                cwd=ROOT, env=_env(app), stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    wait_for_line(log_path, "worker: queue", proc)
    return proc


def _counts(app):
    from deliverables.models import Deliverable
    from core.models import AuditEntry
    from maintenance.models import FaultEscalation
    with app.app_context():
        s = db.session()
        return {"escalations": s.scalar(select(func.count()).select_from(FaultEscalation)),
                "escalation_audits": s.scalar(select(func.count()).select_from(AuditEntry)
                                              .where(AuditEntry.action == "fault.escalate")),
                "records": s.scalar(select(func.count()).select_from(Deliverable).where(Deliverable.kind == "record")),
                "record_keys": s.scalar(select(func.count()).select_from(
                    select(Deliverable.document_key, Deliverable.period).where(Deliverable.kind == "record")
                    .distinct().subquery()))}


def _overdue_faults(app, client, world):
    """Faults reported at the test clock's time (days before the real now, where the
    worker runs): every one of them is overdue for the worker's tick."""
    from projects.models import Project
    with app.app_context():
        p = db.session().scalar(select(Project).where(Project.code == "P1"))
        p.maintenance_start = date(2026, 11, 23)
        db.session().commit()
    for level in (4, 3, 4):
        r = client.post("/api/projects/P1/faults", headers=world.h("client"),
                        json={"level": level, "title": "门禁控制器离线", "channel": "phone"})
        assert r.status_code == 201, r.json


def test_worker_process_ticks_the_sla_clock(queue_app, client, world, tmp_path):
    app = queue_app
    _overdue_faults(app, client, world)
    assert _counts(app)["escalations"] == 0
    with app.app_context():
        app.extensions["huey_tasks"]["sla_tick"]()  # what the scheduler queues every minute
    worker = _start_worker(app, tmp_path / "worker.log")
    try:
        counts = wait_for(lambda: (c := _counts(app))["escalations"] and c["records"] and c)
    finally:
        code = stop(worker)
    log = (tmp_path / "worker.log").read_text(errors="replace")
    assert counts and counts["escalations"] >= 3, log
    assert counts["records"] > 0 and counts["records"] == counts["record_keys"]
    assert counts["escalation_audits"] == counts["escalations"]
    assert code == 0, log  # Ctrl-C stops it cleanly


def test_two_workers_never_escalate_twice(queue_app, client, world, tmp_path):
    app = queue_app
    _overdue_faults(app, client, world)
    with app.app_context():
        tick = app.extensions["huey_tasks"]["sla_tick"]
        for _ in range(6):
            tick()
    workers = [_start_worker(app, tmp_path / f"worker{i}.log") for i in range(2)]
    try:
        queue = app.extensions["huey"]
        wait_for(lambda: queue.storage.queue_size() == 0 and _counts(app)["escalations"] > 0)
    finally:
        codes = [stop(w) for w in workers]
    counts = _counts(app)
    assert counts["escalations"] >= 3
    assert counts["escalation_audits"] == counts["escalations"]  # each escalation written once
    assert counts["records"] == counts["record_keys"]  # no record instance twice
    assert codes == [0, 0]


def test_failing_job_is_retried_with_backoff_then_recorded(queue_app, runner):
    """A job that always fails: tried 1 + retries times, with growing delays, then one
    row in job_failures that `flask jobs failed` lists and `flask jobs retry` queues again."""
    from jobs.runner import backoff_seconds, register_job
    app = queue_app
    huey = app.extensions["huey"]
    tries: list[float] = []

    def always_fails(what):
        tries.append(time.monotonic())
        raise RuntimeError(f"cannot convert {what}")

    register_job(app, huey, "always_fails", always_fails, retries=2, base_delay=1.0)
    with app.app_context():
        app.extensions["huey_tasks"]["always_fails"]("验收报告.docx")
    consumer = huey.create_consumer(workers=1, periodic=False, scheduler_interval=1)
    consumer.start()
    try:
        assert wait_for(lambda: len(tries) >= 3, seconds=30)
        with app.app_context():
            from jobs.models import JobFailure
            row = wait_for(lambda: db.session().scalar(select(JobFailure)), seconds=10)
    finally:
        consumer.stop(graceful=True)
    assert len(tries) == 3
    # back-off: the second try waits >= 1 s, the third >= 2 s (never before its eta)
    assert [backoff_seconds(1.0, n) for n in (1, 2, 3)] == [1.0, 2.0, 4.0]
    assert tries[1] - tries[0] >= 0.95 and tries[2] - tries[1] >= 1.95
    assert row.job == "always_fails" and row.attempts == 3 and "cannot convert" in row.error
    assert "验收报告.docx" in row.args

    listed = runner.invoke(args=["jobs", "failed"])
    assert listed.exit_code == 0
    assert f"#{row.id} always_fails" in listed.output and "after 3 tries" in listed.output
    again = runner.invoke(args=["jobs", "retry", str(row.id)])
    assert again.exit_code == 0, again.output
    assert huey.storage.queue_size() == 1
    assert "1 failed job" not in runner.invoke(args=["jobs", "failed"]).output.splitlines()[-1]
    assert runner.invoke(args=["jobs", "retry", "999999"]).exit_code != 0


def test_healthz_checks_database_and_queue(queue_app, client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json["status"] == "ok" and r.json["database"] == "ok" and r.json["queue"] == "ok"


def test_healthz_reports_a_queue_that_does_not_answer(app, client):
    app.config["HANDOVER_REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    import jobs
    jobs.init_app_queue(app)
    r = client.get("/healthz")
    assert r.status_code == 503
    assert r.json == {"status": "error", "database": "ok", "queue": "error", "queue_backend": "redis"}
