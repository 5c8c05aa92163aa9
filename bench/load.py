"""Simulated users against the production server and, for comparison, the development server.

Usage: .venv/bin/python bench/load.py [--users 50] [--minutes 10] [--think 1-3] [--ramp 30] [--servers gunicorn,dev]
Each user logs in through the page, then loops: portfolio page, project register page, search
page, API search, list versions, download a version, upload 1 MB through the API, and the pm
signs it; between two actions it waits a think time drawn uniformly from --think seconds (like
locust's `between(1, 3)`, the default; `--think 0` hammers without pause). Users start evenly
spread over the first --ramp seconds (like locust's spawn rate; default 30 s: 50 users do not all
log in, an argon2 check each, in the same second). Prints, per server, the request count, errors, throughput and
p50/p95/max of pages and of API calls in ms, then the same per action, and the server's logged
errors (tracebacks) by kind.
"""
from __future__ import annotations

import argparse
import io
import os
import random
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serving import machine, prepare, serve, token  # noqa: E402

TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
PROJECT = "ZHYQ-2026"


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = {"page": [], "api": []}
        self.actions: dict[str, list[float]] = {}
        self.errors: list[str] = []
        self.conflicts = 0  # 409 on signing: a newer version arrived meanwhile (the rule, not a fault)

    def timed(self, kind: str, action: str, fn, *args, **kw):
        t = time.perf_counter()
        try:
            r = fn(*args, timeout=60, **kw)
        except requests.RequestException as exc:
            with self.lock:
                self.errors.append(f"{action}: {type(exc).__name__}")
            return None
        ms = (time.perf_counter() - t) * 1000
        with self.lock:
            self.times[kind].append(ms)
            self.actions.setdefault(action, []).append(ms)
            if r.status_code == 409 and action == "sign":
                self.conflicts += 1
            elif r.status_code >= 400:
                self.errors.append(f"{action} {r.request.method} -> {r.status_code}")
        return r


def user_loop(base: str, n: int, until: float, tokens: dict, stats: Stats, think: tuple[float, float],
              start_after: float) -> None:
    rng = random.Random(n)
    time.sleep(start_after)

    def pause():
        lo, hi = think
        if hi > 0:
            time.sleep(rng.uniform(lo, hi))

    s = requests.Session()
    page = stats.timed("page", "login page", s.get, f"{base}/login")
    if page is None:
        return
    csrf = TOKEN_RE.search(page.text).group(1)
    stats.timed("page", "login", s.post, f"{base}/login", data={"username": "zhang.pm", "password": "handover-demo",
                                                                "csrf_token": csrf})
    eng, pm = {"Authorization": f"Bearer {tokens['li.eng']}"}, {"Authorization": f"Bearer {tokens['zhang.pm']}"}
    api = requests.Session()
    deliverables = stats.timed("api", "deliverables", api.get, f"{base}/api/projects/{PROJECT}/deliverables", headers=pm)
    ids = [d["id"] for d in deliverables.json()] if deliverables is not None and deliverables.ok else []
    blob = os.urandom(1024 * 1024)
    k = 0
    while time.monotonic() < until and ids:
        d_id = ids[(n * 7 + k) % len(ids)]
        steps = [
            lambda: stats.timed("page", "portfolio page", s.get, f"{base}/"),
            lambda: stats.timed("page", "register page", s.get, f"{base}/projects/{PROJECT}"),
            lambda: stats.timed("page", "search page", s.get, f"{base}/search", params={"q": "系统"}),
            lambda: stats.timed("api", "api search", api.get, f"{base}/api/search", params={"q": "测试"}, headers=pm),
        ]
        for step in steps:
            step()
            pause()
            if time.monotonic() >= until:
                return
        versions = stats.timed("api", "versions", api.get, f"{base}/api/deliverables/{d_id}/versions", headers=pm)
        pause()
        if versions is not None and versions.ok and versions.json():
            stats.timed("api", "download", api.get, f"{base}/api/versions/{versions.json()[0]['id']}/file", headers=pm)
            pause()
        up = stats.timed("api", "upload 1 MB", api.post, f"{base}/api/deliverables/{d_id}/versions", headers=eng,
                         files={"file": (f"load-{n}-{k}.bin", io.BytesIO(blob + f"{n}-{k}".encode()))})
        pause()
        if up is not None and up.status_code == 201:
            stats.timed("api", "sign", api.post, f"{base}/api/versions/{up.json()['id']}/signoffs", headers=pm,
                        json={"decision": "approve", "comment": "同意。"})
            pause()
        k += 1


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def server_errors(log: Path) -> Counter:
    """Kinds of errors the server logged: the last line of each traceback."""
    kinds: Counter = Counter()
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    for i, line in enumerate(lines):
        if line.startswith("Traceback"):
            j = i + 1
            while j < len(lines) and (lines[j].startswith(" ") or lines[j].startswith("During")
                                      or not lines[j].strip()):
                j += 1
            if j < len(lines):
                kinds[lines[j][:160]] += 1
    return kinds


def run(kind: str, users: int, minutes: float, think: tuple[float, float], ramp: float) -> None:
    with tempfile.TemporaryDirectory(prefix="handover-load-") as tmp:
        env = prepare(Path(tmp) / "data")
        tokens = {u: token(env, u) for u in ("li.eng", "zhang.pm")}
        log = Path(tmp) / "server.log"
        with serve(kind, env, log=log) as (base, _pid):
            stats = Stats()
            until = time.monotonic() + minutes * 60
            threads = [threading.Thread(target=user_loop, args=(base, n, until, tokens, stats, think,
                                                                ramp * n / users)) for n in range(users)]
            started = time.monotonic()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            took = time.monotonic() - started
            load = os.getloadavg()[0]
        logged = server_errors(log)
    total = sum(len(v) for v in stats.times.values())
    print(f"\n{kind}: {users} users, {took:.0f} s, load average at the end {load:.1f}")
    print("| requests | req/s | errors | sign 409s | page p50 | page p95 | page max | api p50 | api p95 | api max |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {total} | {total / took:.1f} | {len(stats.errors)} | {stats.conflicts} "
          f"| {pct(stats.times['page'], 50):.0f} | {pct(stats.times['page'], 95):.0f} "
          f"| {max(stats.times['page'] or [0]):.0f} | {pct(stats.times['api'], 50):.0f} "
          f"| {pct(stats.times['api'], 95):.0f} | {max(stats.times['api'] or [0]):.0f} |")
    print("| action | count | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|---|")
    for action, values in stats.actions.items():
        print(f"| {action} | {len(values)} | {pct(values, 50):.0f} | {pct(values, 95):.0f} | {max(values):.0f} |")
    for e, c in Counter(stats.errors).most_common(5):
        print(f"  client saw {c}x: {e}")
    for e, c in logged.most_common(5):
        print(f"  server logged {c}x: {e}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--think", default="1-3", help="think time between actions in seconds, MIN-MAX or 0 (default 1-3)")
    ap.add_argument("--ramp", type=float, default=30, help="seconds over which the users start (default 30)")
    ap.add_argument("--servers", default="gunicorn,dev")
    a = ap.parse_args()
    lo, _, hi = a.think.partition("-")
    think = (float(lo), float(hi or lo))
    print(f"command: .venv/bin/python bench/load.py --users {a.users} --minutes {a.minutes} --think {a.think} "
          f"--ramp {a.ramp:g} --servers {a.servers}")
    print(f"machine: {machine()}, load average at the start {os.getloadavg()[0]:.1f}")
    for kind in a.servers.split(","):
        run(kind, a.users, a.minutes, think, a.ramp)


if __name__ == "__main__":
    main()
