"""The portfolio page with many projects, each with overdue records and open faults.

Usage: .venv/bin/python bench/portfolio.py [--projects 300] [--sizes 5,50] [--requests 60] [--server gunicorn] [--tick]
For each size K of --sizes: a fresh data folder (`flask init` + `flask demo`), then --projects
projects made by the product's create_project (33 deliverables each, in maintenance), K overdue
record instances and K open faults each (bulk inserts through the models; each fault stored with
the level, deadlines and escalations the rule gives, as the tick stores them), then, with --tick,
`flask sla tick` (timed: it stores escalations; the page computes them live either way);
then the production server (gunicorn as `make run` serves, plus one worker) and the admin, who sees
every project, loads `/` --requests times (one at a time, logged in through the form). Prints
p50/p95/max per size: the page's time should not grow with K.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serving import FLASK, ROOT, machine, prepare, serve  # noqa: E402

SEED = r'''
import sys
from datetime import date, timedelta
from sqlalchemy import select
from app import create_app
from catalog import get_catalog
from core import db
from core.clock import now
from core.models import User
from deliverables.models import Deliverable
from deliverables.projects import create_project
from maintenance.faults import live_state
from maintenance.models import Fault, FaultEscalation

projects, per = int(sys.argv[1]), int(sys.argv[2])
app = create_app()
with app.app_context():
    s = db.session()
    admin = s.scalar(select(User).where(User.username == "admin"))
    at = now()
    today = date.today()
    record_types = get_catalog().records
    for i in range(projects):
        p = create_project(admin, f"BENCH-{i:03d}", f"基准项目 {i}", f"客户 {i % 17}",
                           warranty_until=today + timedelta(days=300), maintenance_start=today - timedelta(days=1))
        for k in range(per):
            rt = record_types[k % len(record_types)]
            s.add(Deliverable(project_id=p.id, kind="record", document_key=rt.key, phase="maintenance",
                              position=1000 + k, period=f"X{k:04d}", title=f"{rt.name_zh} X{k:04d}",
                              due_at=at - timedelta(days=k + 1), status="missing", version_count=0, created_at=at))
            reported = at - timedelta(hours=k % 48 + 1)
            f = Fault(project=p, number=k + 1, initial_level=1 + k % 4, level=1 + k % 4,
                      title=f"故障 {k}", description="", channel="phone", status="open", reported_at=reported,
                      respond_by=reported, restore_by=reported, created_at=reported, events=[], escalations=[])
            s.add(f)
            s.flush()
            # stored as the tick would store it (level, deadlines, escalations), without its audit entries
            state = live_state(f)
            f.level, f.respond_by, f.restore_by = state.level, state.respond_by, state.restore_by
            for st in state.escalations:
                s.add(FaultEscalation(fault_id=f.id, from_level=st.from_level, to_level=st.to_level, at=st.at))
        p.fault_seq = per
        if i % 50 == 49:
            s.commit()
    s.commit()
'''


def seed(env: dict, projects: int, per: int, tick: bool) -> tuple[float, float | None]:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", SEED, str(projects), str(per)], cwd=ROOT, env=env, check=True)
    seeded = time.perf_counter() - t
    if not tick:
        return seeded, None
    t = time.perf_counter()
    subprocess.run(FLASK + ["sla", "tick"], cwd=ROOT, env=env, check=True, capture_output=True)
    return seeded, time.perf_counter() - t


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--projects", type=int, default=300)
    ap.add_argument("--sizes", default="5,50", help="records and faults per project, one run each")
    ap.add_argument("--requests", type=int, default=60)
    ap.add_argument("--server", default="gunicorn", choices=("gunicorn", "dev"))
    ap.add_argument("--tick", action="store_true", help="run `flask sla tick` after seeding (and time it)")
    a = ap.parse_args()
    print(f"command: .venv/bin/python bench/portfolio.py --projects {a.projects} --sizes {a.sizes} "
          f"--requests {a.requests} --server {a.server}" + (" --tick" if a.tick else ""))
    print(f"machine: {machine()}, load average at the start {os.getloadavg()[0]:.1f}")
    rows = []
    for per in (int(x) for x in a.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="handover-portfolio-") as tmp:
            env = prepare(Path(tmp) / "data")
            seeded, ticked = seed(env, a.projects, per, a.tick)
            with serve(a.server, env) as (base, _pid):
                s = requests.Session()
                csrf = re.search(r'name="csrf_token" value="([^"]+)"', s.get(f"{base}/login").text).group(1)
                r = s.post(f"{base}/login", data={"username": "admin", "password": "handover-demo", "csrf_token": csrf})
                first = s.get(f"{base}/")
                assert r.ok and first.text.count('data-project="') >= 2, f"not logged in: {first.url}"
                times, size = [], 0
                for _ in range(a.requests):
                    t = time.perf_counter()
                    r = s.get(f"{base}/")
                    times.append((time.perf_counter() - t) * 1000)
                    assert r.status_code == 200
                    size = len(r.content)
        rows.append((per, seeded, ticked, times, size))
    print("| projects | records + faults per project | seed s | tick s | page KiB | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|---|---|---|---|")
    for per, seeded, ticked, times, size in rows:
        print(f"| {a.projects} | {per} + {per} | {seeded:.0f} | {'-' if ticked is None else f'{ticked:.1f}'} | {size / 1024:.0f} | {pct(times, 50):.0f} "
              f"| {pct(times, 95):.0f} | {max(times):.0f} |")
    print(f"load average at the end {os.getloadavg()[0]:.1f}; target: p95 <= 200 ms, flat across sizes")


if __name__ == "__main__":
    main()
