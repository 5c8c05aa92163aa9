"""`flask sla tick`: escalates overdue faults, creates record instances, prints and commits."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, timezone

from sqlalchemy import func, select

from core import db

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def stored(app):
    from deliverables.models import Deliverable
    from maintenance.models import Fault, FaultEscalation
    with app.app_context():
        s = db.session()
        return (s.scalar(select(func.count()).select_from(FaultEscalation)),
                {f.number: f.level for f in s.scalars(select(Fault))},
                s.scalar(select(func.count()).select_from(Deliverable).where(Deliverable.kind == "record")))


def test_sla_tick_escalates_and_materializes(app, client, world, runner, clock):
    from projects.models import Project
    with app.app_context():
        p = db.session().scalar(select(Project).where(Project.code == "P1"))
        p.maintenance_start = date(2026, 11, 23)
        db.session().commit()
    post = lambda level: client.post("/api/projects/P1/faults", headers=world.h("client"),  # noqa: E731
                                     json={"level": level, "title": "故障", "channel": "phone"}).json
    f1, f2, f3 = post(4), post(3), post(2)
    for kind in ("respond", "restore"):  # f3 is restored in time: never escalates
        client.post(f"/api/faults/{f3['id']}/events", json={"kind": kind}, headers=world.h("engineer"))
    assert stored(app) == (0, {1: 4, 2: 3, 3: 2}, 0)

    clock.advance(hours=50)  # nobody looks at the faults meanwhile
    result = runner.invoke(args=["sla", "tick"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "escalated P1-F001 (fault %d) level 4 -> 3 at 2026-11-26T10:00:00+08:00" % f1["id"] in lines
    assert "escalated P1-F001 (fault %d) level 3 -> 2 at 2026-11-27T10:00:00+08:00" % f1["id"] in lines
    assert "escalated P1-F002 (fault %d) level 3 -> 2 at 2026-11-26T10:00:00+08:00" % f2["id"] in lines
    assert "escalated P1-F002 (fault %d) level 2 -> 1 at 2026-11-26T22:00:00+08:00" % f2["id"] in lines
    assert "created 4 record instance(s) for P1" in lines  # W48 x2, 2026-11, backup plan
    assert lines[-1].endswith("4 escalation(s), 4 record instance(s) created")
    assert stored(app) == (4, {1: 2, 2: 1, 3: 2}, 4)  # committed

    again = runner.invoke(args=["sla", "tick"])
    assert again.exit_code == 0 and again.output.splitlines()[-1].endswith(
        "0 escalation(s), 0 record instance(s) created")
    # what a reader sees is what the tick recorded
    f = client.get(f"/api/faults/{f1['id']}", headers=world.h("pm")).json
    assert [(e["from"], e["to"]) for e in f["escalations"]] == [(4, 3), (3, 2)]
    assert stored(app)[0] == 4


def test_sla_tick_with_nothing_to_do(runner, world):
    result = runner.invoke(args=["sla", "tick"])
    assert result.exit_code == 0 and "0 escalation(s), 0 record instance(s) created" in result.output


def test_sla_tick_as_a_cron_command(app, client, world, clock):
    """`flask --app app sla tick` in its own process (real clock): a level-4 fault reported
    long ago and never looked at is escalated to level 1, step by step."""
    clock.set(datetime(2020, 1, 6, 2, 0, tzinfo=timezone.utc))
    r = client.post("/api/projects/P1/faults", headers=world.h("client"),
                    json={"level": 4, "title": "故障", "channel": "phone"})
    assert r.status_code == 201 and r.json["escalations"] == []
    env = {**os.environ, "HANDOVER_DATA": app.config["HANDOVER_DATA"], "DATABASE_URL": app.config["DATABASE_URL"],
           "HANDOVER_TZ": "Asia/Shanghai"}
    out = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "sla", "tick"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "level 4 -> 3 at 2020-01-07T10:00:00+08:00" in out.stdout
    assert "level 3 -> 2 at 2020-01-08T10:00:00+08:00" in out.stdout
    assert "level 2 -> 1 at 2020-01-08T22:00:00+08:00" in out.stdout
    assert stored(app)[:2] == (3, {1: 1})
