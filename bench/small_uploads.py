"""Many small files over HTTP (a project import): versions per second against `sha256sum` + `cp`.

Usage: .venv/bin/python bench/small_uploads.py [--files 1000] [--uploaders 4] [--kb 8] [--server gunicorn]
Starts the production server (gunicorn with gunicorn.conf.py as `make run` serves, plus one worker;
`--server dev` for Flask's) on the demo data in a temp folder, writes --files distinct Markdown files
of --kb KiB, and lets --uploaders threads (one keep-alive connection each, API token) POST them as new
versions, spread over the demo project's deliverables. Every upload is stored as the product
always stores one (temp file, fsync, rename, then the commit, indexed for search). Prints versions/s
next to the baseline: one `sha256sum` of every file plus one `cp` of them all into a folder and `sync` (the
same bytes hashed and written once, by the system's tools), and their ratio.
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--uploaders", type=int, default=4)
    ap.add_argument("--kb", type=int, default=8)
    ap.add_argument("--server", default="gunicorn", choices=("gunicorn", "dev"))
    a = ap.parse_args()
    print(f"command: .venv/bin/python bench/small_uploads.py --files {a.files} --uploaders {a.uploaders} "
          f"--kb {a.kb} --server {a.server}")
    print(f"machine: {machine()}, load average at the start {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="handover-small-") as tmp:
        work = Path(tmp)
        env = prepare(work / "data")
        eng = token(env, "li.eng")
        rng = random.Random(8)
        src = work / "files"
        src.mkdir()
        files = []
        for i in range(a.files):
            p = src / f"note-{i:05d}.md"
            p.write_bytes(markdown(i, a.kb * 1024, rng))
            files.append(p)
        base_s = baseline(files, work)
        with serve(a.server, env, log=work / "server.log") as (base, pid):
            h = {"Authorization": f"Bearer {eng}"}
            ids = [d["id"] for d in requests.get(f"{base}/api/projects/{PROJECT}/deliverables", headers=h,
                                                 timeout=60).json()]
            statuses: Counter = Counter()
            lock = threading.Lock()
            latencies: list[float] = []

            def uploader(k: int):
                s = requests.Session()
                for j in range(k, len(files), a.uploaders):
                    t0 = time.perf_counter()
                    with open(files[j], "rb") as fh:
                        r = s.post(f"{base}/api/deliverables/{ids[j % len(ids)]}/versions", headers=h,
                                   files={"file": (files[j].name, fh, "text/markdown")}, timeout=120)
                    with lock:
                        statuses[r.status_code] += 1
                        latencies.append((time.perf_counter() - t0) * 1000)

            threads = [threading.Thread(target=uploader, args=(k,)) for k in range(a.uploaders)]
            cpu0 = group_cpu_seconds(pid)
            t = time.perf_counter()
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            up_s = time.perf_counter() - t
            server_cpu = group_cpu_seconds(pid) - cpu0
            found = requests.get(f"{base}/api/search", params={"q": "巡检"}, headers=h, timeout=60).json()
        load = os.getloadavg()[0]
    latencies.sort()
    rate, base_rate = a.files / up_s, a.files / base_s
    print(f"| step | files | seconds | files/s |")
    print(f"|---|---|---|---|")
    print(f"| sha256sum + cp + sync (baseline) | {a.files} | {base_s:.2f} | {base_rate:.0f} |")
    print(f"| HTTP upload, {a.uploaders} uploaders ({a.server}) | {a.files} | {up_s:.2f} | {rate:.0f} versions/s |")
    print(f"statuses {dict(statuses)}; upload p50/p95 {latencies[len(latencies) // 2]:.0f}/"
          f"{latencies[int(len(latencies) * 0.95)]:.0f} ms; search finds them: total {found.get('total')}; "
          f"load average at the end {load:.1f}")
    print(f"server CPU during the uploads: {server_cpu:.1f} s = {server_cpu / a.files * 1000:.1f} ms per upload "
          f"({a.files / max(server_cpu, 1e-9):.0f} versions per server CPU-second; the wall-clock figure above "
          f"also depends on the machine's other load)")
    print(f"versions/s / baseline files/s = {rate / base_rate:.2f} (target: >= 100 versions/s)")


if __name__ == "__main__":
    main()
