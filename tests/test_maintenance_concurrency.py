"""Concurrent readers, reporters and ticks: numbers stay unique, escalations and record
instances are recorded once (by the worker's ticks; readers only read), nobody gets an error."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select

from actions import worker_ticks
from core import db

N = 12


def test_concurrent_reports_get_numbers_1_to_n(app, world):
    clients = [app.test_client() for _ in range(N)]

    def send(i):
        r = clients[i].post("/api/projects/P1/faults", headers=world.h("client"),
                            json={"level": 3, "title": f"故障 {i}", "channel": "phone"})
        return r.status_code, r.json

    with ThreadPoolExecutor(N) as pool:
        results = list(pool.map(send, range(N)))
    assert [s for s, _ in results] == [201] * N, results
    assert sorted(j["number"] for _, j in results) == list(range(1, N + 1))


def test_concurrent_reads_during_a_tick_record_each_escalation_once(app, world, clock):
    from deliverables.models import Deliverable
    from projects.models import Project
    from maintenance.models import FaultEscalation
    with app.app_context():
        p = db.session().scalar(select(Project).where(Project.code == "P1"))
        p.maintenance_start = date(2026, 1, 5)
        db.session().commit()
    clients = [app.test_client() for _ in range(N)]
    fid = clients[0].post("/api/projects/P1/faults", headers=world.h("client"),
                          json={"level": 4, "title": "故障", "channel": "phone"}).json["id"]
    clock.set(datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc) + timedelta(hours=70))

    def read(i):
        path = f"/api/faults/{fid}" if i % 2 else "/api/projects/P1/records"
        r = clients[i].get(path, headers=world.h("pm"))
        return r.status_code, r.json

    with ThreadPoolExecutor(N + 1) as pool:
        tick = pool.submit(worker_ticks, app)  # time passes and the worker ticks while they read
        results = list(pool.map(read, range(N)))
        tick.result()
    assert [s for s, _ in results] == [200] * N, results
    assert {len(j["escalations"]) for s, j in results if isinstance(j, dict)} == {3}
    with app.app_context():
        s = db.session()
        assert s.scalar(select(func.count()).select_from(FaultEscalation)) == 3
        per_key = s.execute(select(Deliverable.document_key, Deliverable.period, func.count())
                            .where(Deliverable.kind == "record")
                            .group_by(Deliverable.document_key, Deliverable.period)).all()
        assert per_key and all(n == 1 for *_, n in per_key)


def test_three_ticks_at_once_all_succeed_and_escalate_once(app, world, clock):
    """A cron `flask sla tick` beside two workers: the ticks queue for the write lock
    (SQLite) or the row locks (PostgreSQL); none fails, each escalation is stored once."""
    from core.models import AuditEntry
    from maintenance.models import FaultEscalation
    from maintenance.tick import run_tick
    client = app.test_client()
    for level in (4, 3, 4):
        assert client.post("/api/projects/P1/faults", headers=world.h("client"),
                           json={"level": level, "title": "故障", "channel": "phone"}).status_code == 201
    clock.set(datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc) + timedelta(hours=70))

    def tick(_):
        with app.app_context():
            report = run_tick()
            db.session().commit()
            return report.failed, report.escalated

    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(tick, range(3)))
    assert [failed for failed, _ in results] == [{}, {}, {}]
    with app.app_context():
        s = db.session()
        stored = s.scalar(select(func.count()).select_from(FaultEscalation))
        audited = s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "fault.escalate"))
    assert sum(n for _, n in results) == stored == audited > 0
