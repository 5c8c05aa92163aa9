"""Many small files over HTTP (a project import): versions per second against `sha256sum` + `cp`.

Usage: .venv/bin/python bench/small_uploads.py [--files 1000] [--uploaders 4] [--kb 8] [--batch 1] [--server gunicorn]
Starts the production server (gunicorn with gunicorn.conf.py as `make run` serves, plus one worker;
`--server dev` for Flask's) on the demo data in a temp folder, writes --files distinct Markdown files
of --kb KiB, and lets --uploaders threads (one keep-alive connection each, API token) POST them as new
versions, spread over the demo project's deliverables, one file per request
(`POST /api/deliverables/<id>/versions`). With `--batch N` (N > 1) the same server then takes
--files more distinct files the same way but N per request (`POST /api/projects/<code>/versions`,
each uploader sending its own N at a time), so one run prints both figures. Every upload is stored
as the product always stores one (temp file, fsync, rename, then the commit, indexed for search).
Prints versions/s and the server's CPU per version (user + system of gunicorn's processes) for each,
next to the baseline: one `sha256sum` of every file plus one `cp` of them all into a folder and `sync`
(the same bytes hashed and written once, by the system's tools), and their ratio.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serving import machine, prepare, serve, token  # noqa: E402

PROJECT = "ZHYQ-2026"
WORDS = ("系统 接口 测试 部署 运维 巡检 网关 数据库 备份 告警 门禁 停车 能耗 监控 用户 权限 "
         "gateway backup release network storage cluster nginx redis postgres upgrade").split()


def markdown(i: int, size: int, rng: random.Random) -> bytes:
    lines = [f"# 文档 {i}：实施记录", ""]
    body = "\n".join(lines)
    while len(body.encode()) < size:
        body += "\n" + " ".join(rng.choice(WORDS) for _ in range(12)) + f" {i}-{rng.randrange(10**6)}"
    return body.encode()[:size]


def baseline(files: list[Path], work: Path) -> float:
    """Seconds for `sha256sum` of every file and `cp` of them all (then sync): the bytes hashed and written."""
    dest = work / "copy"
    dest.mkdir()
    os.sync()
    t = time.perf_counter()
    subprocess.run(["sha256sum", *map(str, files)], check=True, capture_output=True)
    subprocess.run(["cp", *map(str, files), str(dest)], check=True)
    os.sync()
    took = time.perf_counter() - t
    shutil.rmtree(dest)
    return took


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU seconds of every live process of process group `pgid` (the server's
    master and its workers), from /proc: a figure the machine's other load does not change much."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, ..., utime (11), stime (12)
            total += int(fields[11]) + int(fields[12])
    return total / tick


def upload_phase(base: str, headers: dict, files: list[Path], ids: list[int], uploaders: int, batch: int,
                 pgid: int) -> dict:
    """POST `files` with `uploaders` threads, `batch` files per request (1: the single upload;
    more: the project's multi-file endpoint); wall seconds, statuses, request latencies and the
    server's CPU seconds (process group `pgid`)."""
    statuses: Counter = Counter()
    lock = threading.Lock()
    latencies: list[float] = []
    stored = [0]

    def post(s: requests.Session, js: list[int]):
        handles = [open(files[j], "rb") for j in js]
        try:
            if batch == 1:
                j = js[0]
                return s.post(f"{base}/api/deliverables/{ids[j % len(ids)]}/versions", headers=headers,
                              files={"file": (files[j].name, handles[0], "text/markdown")}, timeout=120)
            return s.post(f"{base}/api/projects/{PROJECT}/versions", headers=headers,
                          data=[("deliverable_id", str(ids[j % len(ids)])) for j in js],
                          files=[("file", (files[j].name, fh, "text/markdown")) for j, fh in zip(js, handles)],
                          timeout=300)
        finally:
            for fh in handles:
                fh.close()

    def uploader(k: int):
        s = requests.Session()
        mine = list(range(k, len(files), uploaders))
        for at in range(0, len(mine), batch):
            js = mine[at:at + batch]
            t0 = time.perf_counter()
            r = post(s, js)
            with lock:
                statuses[r.status_code] += 1
                latencies.append((time.perf_counter() - t0) * 1000)
                if r.status_code == 201:
                    stored[0] += len(js)

    threads = [threading.Thread(target=uploader, args=(k,)) for k in range(uploaders)]
    cpu0 = group_cpu_seconds(pgid)
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    took = time.perf_counter() - t
    latencies.sort()
    return {"seconds": took, "cpu": group_cpu_seconds(pgid) - cpu0, "statuses": dict(statuses),
            "stored": stored[0], "p50": latencies[len(latencies) // 2], "p95": latencies[int(len(latencies) * 0.95)],
            "load": os.getloadavg()[0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--uploaders", type=int, default=4)
    ap.add_argument("--kb", type=int, default=8)
    ap.add_argument("--batch", type=int, default=1, help="files per request of a second phase (1: no second phase)")
    ap.add_argument("--server", default="gunicorn", choices=("gunicorn", "dev"))
    a = ap.parse_args()
    if not 1 <= a.batch <= 100:
        ap.error("--batch must be 1 to 100 (the endpoint's limit)")
    print(f"command: .venv/bin/python bench/small_uploads.py --files {a.files} --uploaders {a.uploaders} "
          f"--kb {a.kb} --batch {a.batch} --server {a.server}")
    print(f"machine: {machine()}, load average at the start {os.getloadavg()[0]:.1f}")
    batches = [1] + ([a.batch] if a.batch > 1 else [])
    with tempfile.TemporaryDirectory(prefix="handover-small-") as tmp:
        work = Path(tmp)
        env = prepare(work / "data")
        eng = token(env, "li.eng")
        rng = random.Random(8)
        sets = []
        for n, _ in enumerate(batches):  # distinct bytes for each phase: nothing is stored twice
            src = work / f"files{n}"
            src.mkdir()
            files = []
            for i in range(n * a.files, (n + 1) * a.files):
                p = src / f"note-{i:05d}.md"
                p.write_bytes(markdown(i, a.kb * 1024, rng))
                files.append(p)
            sets.append(files)
        base_s = baseline(sets[0], work)
        with serve(a.server, env, log=work / "server.log") as (base, pid):
            h = {"Authorization": f"Bearer {eng}"}
            ids = [d["id"] for d in requests.get(f"{base}/api/projects/{PROJECT}/deliverables", headers=h,
                                                 timeout=60).json()]
            phases = [(b, upload_phase(base, h, files, ids, a.uploaders, b, pid)) for b, files in zip(batches, sets)]
            found = requests.get(f"{base}/api/search", params={"q": "巡检"}, headers=h, timeout=60).json()
        load = os.getloadavg()[0]
    base_rate = a.files / base_s
    print("| step | files | seconds | files/s | server CPU per version |")
    print("|---|---|---|---|---|")
    print(f"| sha256sum + cp + sync (baseline) | {a.files} | {base_s:.2f} | {base_rate:.0f} | |")
    for b, r in phases:
        what = "1 file a request" if b == 1 else f"{b} files a request"
        print(f"| HTTP upload, {a.uploaders} uploaders, {what} ({a.server}) | {a.files} | {r['seconds']:.2f} | "
              f"{a.files / r['seconds']:.0f} versions/s | {r['cpu'] / a.files * 1000:.1f} ms |")
    for b, r in phases:
        rate = a.files / r["seconds"]
        print(f"{b} file(s) a request: statuses {r['statuses']}, versions stored {r['stored']}; request p50/p95 "
              f"{r['p50']:.0f}/{r['p95']:.0f} ms; server CPU {r['cpu']:.1f} s = {r['cpu'] / a.files * 1000:.1f} ms "
              f"per version ({a.files / max(r['cpu'], 1e-9):.0f} versions per server CPU-second); load average "
              f"after it {r['load']:.1f}; versions/s / baseline files/s = {rate / base_rate:.3f}")
    print(f"search finds them: total {found.get('total')}; load average at the end {load:.1f} (the wall-clock "
          f"figures also depend on the machine's other load; target: >= 100 versions/s)")


if __name__ == "__main__":
    main()
