"""Simulated users against the production server and, for comparison, the development server.

Usage: .venv/bin/python bench/load.py [--users 50] [--minutes 10] [--servers gunicorn,dev]
Each user logs in through the page, then loops: portfolio page, project register page, search
page, API search, download a version, upload 1 MB through the API, and the pm signs it. Prints,
per server, the request count, errors, and p50/p95/max of pages and of API calls in ms.
"""
from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serving import machine, prepare, serve, token  # noqa: E402

TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
PROJECT = "ZHYQ-2026"


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.times = {"page": [], "api": []}
        self.errors: list[str] = []
        self.conflicts = 0  # 409 on signing: a newer version arrived meanwhile (the rule, not a fault)

    def timed(self, kind: str, fn, *args, **kw):
        t = time.perf_counter()
        try:
            r = fn(*args, timeout=60, **kw)
        except requests.RequestException as exc:
            with self.lock:
                self.errors.append(f"{kind}: {type(exc).__name__}")
            return None
        ms = (time.perf_counter() - t) * 1000
        with self.lock:
            self.times[kind].append(ms)
            if r.status_code == 409 and r.request.method == "POST" and r.url.endswith("/signoffs"):
                self.conflicts += 1
            elif r.status_code >= 400:
                self.errors.append(f"{kind} {r.request.method} {r.url} -> {r.status_code}")
        return r


def user_loop(base: str, n: int, until: float, tokens: dict, stats: Stats) -> None:
    s = requests.Session()
    page = stats.timed("page", s.get, f"{base}/login")
    if page is None:
        return
    csrf = TOKEN_RE.search(page.text).group(1)
    stats.timed("page", s.post, f"{base}/login", data={"username": "zhang.pm", "password": "handover-demo",
                                                       "csrf_token": csrf})
    eng, pm = {"Authorization": f"Bearer {tokens['li.eng']}"}, {"Authorization": f"Bearer {tokens['zhang.pm']}"}
    deliverables = stats.timed("api", requests.get, f"{base}/api/projects/{PROJECT}/deliverables", headers=pm)
    ids = [d["id"] for d in deliverables.json()] if deliverables is not None and deliverables.ok else []
    blob = os.urandom(1024 * 1024)
    k = 0
    while time.monotonic() < until and ids:
        d_id = ids[(n * 7 + k) % len(ids)]
        stats.timed("page", s.get, f"{base}/")
        stats.timed("page", s.get, f"{base}/projects/{PROJECT}")
        stats.timed("page", s.get, f"{base}/search", params={"q": "系统"})
        stats.timed("api", requests.get, f"{base}/api/search", params={"q": "测试"}, headers=pm)
        versions = stats.timed("api", requests.get, f"{base}/api/deliverables/{d_id}/versions", headers=pm)
        if versions is not None and versions.ok and versions.json():
            stats.timed("api", requests.get, f"{base}/api/versions/{versions.json()[0]['id']}/file", headers=pm)
        up = stats.timed("api", requests.post, f"{base}/api/deliverables/{d_id}/versions", headers=eng,
                         files={"file": (f"load-{n}-{k}.bin", io.BytesIO(blob + f"{n}-{k}".encode()))})
        if up is not None and up.status_code == 201:
            stats.timed("api", requests.post, f"{base}/api/versions/{up.json()['id']}/signoffs", headers=pm,
                        json={"decision": "approve", "comment": "同意。"})
        k += 1


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def run(kind: str, users: int, minutes: float) -> None:
    with tempfile.TemporaryDirectory(prefix="handover-load-") as tmp:
        env = prepare(Path(tmp) / "data")
        tokens = {u: token(env, u) for u in ("li.eng", "zhang.pm")}
        with serve(kind, env) as (base, _pid):
            stats = Stats()
            until = time.monotonic() + minutes * 60
            threads = [threading.Thread(target=user_loop, args=(base, n, until, tokens, stats)) for n in range(users)]
            started = time.monotonic()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            took = time.monotonic() - started
    total = sum(len(v) for v in stats.times.values())
    print(f"{kind:9} {users} users {took:6.0f} s  requests {total:6d} ({total / took:5.1f}/s)  errors {len(stats.errors)} (sign 409s {stats.conflicts})"
          f"  page p50/p95/max {pct(stats.times['page'], 50):6.0f}/{pct(stats.times['page'], 95):6.0f}/"
          f"{max(stats.times['page'] or [0]):6.0f} ms"
          f"  api p50/p95/max {pct(stats.times['api'], 50):6.0f}/{pct(stats.times['api'], 95):6.0f}/"
          f"{max(stats.times['api'] or [0]):6.0f} ms")
    for e in sorted(set(stats.errors))[:5]:
        print(f"          error: {e}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--servers", default="gunicorn,dev")
    a = ap.parse_args()
    print(f"bench/load.py --users {a.users} --minutes {a.minutes} --servers {a.servers}")
    print(machine())
    for kind in a.servers.split(","):
        run(kind, a.users, a.minutes)


if __name__ == "__main__":
    main()
