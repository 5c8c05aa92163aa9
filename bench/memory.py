"""Server memory under abuse: schemathesis (as an admin and as a client) and concurrent large uploads.

Usage: .venv/bin/python bench/memory.py [--rounds 3] [--examples 6] [--uploads 20] [--upload-mb 20]
Starts the production server (gunicorn with gunicorn.conf.py, as `make run` serves, plus one worker)
on the demo data in a temp folder, samples the resident memory (RSS, summed over the gunicorn master
and its workers, from /proc) every second, and runs --rounds times: schemathesis over
/api/openapi.json as admin, then as client (positive cases with made-up and real ids, negative
cases; --examples per operation and pass), then --uploads concurrent uploads of --upload-mb MiB each
(streamed multipart). Prints start, peak and end RSS, the peak and end of each round and the
growth between the first and second half of the run (flat memory: round 2 about round 1).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serving import FLASK, ROOT, machine, prepare, serve, token  # noqa: E402
from upload import multipart, request as raw_request  # noqa: E402

PROJECT = "ZHYQ-2026"


def tree_pids(root: int) -> list[int]:
    """`root` and all its descendants (from /proc/*/stat)."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(d.name))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def rss_mib(pids: list[int]) -> float:
    total = 0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


class Sampler(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.samples, self.stop = pid, [], threading.Event()
        self.marks: list[tuple[str, int, str]] = []

    def run(self):
        t0 = time.monotonic()
        while not self.stop.is_set():
            pids = tree_pids(self.pid)
            self.samples.append((time.monotonic() - t0, rss_mib(pids), len(pids)))
            self.stop.wait(1)

    def mark(self, label: str):
        per = " + ".join(f"{rss_mib([p]):.0f}" for p in tree_pids(self.pid))
        self.marks.append((label, len(self.samples), per))


def objects(base: str, admin: str) -> dict:
    """Real ids in the demo project for the fuzzer's path parameters."""
    h = {"Authorization": f"Bearer {admin}"}
    ds = requests.get(f"{base}/api/projects/{PROJECT}/deliverables", headers=h, timeout=60).json()
    d_id, v_id = ds[0]["id"], None
    for d in ds:
        vs = requests.get(f"{base}/api/deliverables/{d['id']}/versions", headers=h, timeout=60).json()
        if vs:
            d_id, v_id = d["id"], vs[0]["id"]
            break
    faults = requests.get(f"{base}/api/projects/{PROJECT}/faults", headers=h, timeout=60)
    f_id = faults.json()[0]["id"] if faults.ok and faults.json() else 1
    return {"code": PROJECT, "deliverable_id": d_id, "version_id": v_id or 1, "fault_id": f_id, "username": "spare"}


def fuzz(base: str, bearer: str, obj: dict, examples: int) -> Counter:
    """schemathesis over the live server's document (as tests/test_schemathesis.py, over HTTP)."""
    import schemathesis  # noqa: PLC0415 (why: heavy import, only this step needs it)
    from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: PLC0415 (why: as above)
    from schemathesis import GenerationMode  # noqa: PLC0415 (why: as above)

    schema = schemathesis.openapi.from_url(f"{base}/api/openapi.json")
    headers = {"Authorization": f"Bearer {bearer}"}
    statuses: Counter = Counter()
    passes = (("generated ids", GenerationMode.POSITIVE, False, examples),
              ("real ids", GenerationMode.POSITIVE, True, examples),
              ("real ids, invalid input", GenerationMode.NEGATIVE, True, examples))
    for result in schema.get_all_operations():
        operation = result.ok()
        for _name, mode, real_ids, n in passes:
            names = [p.name for p in operation.path_parameters]
            params = {k: obj[k] for k in names if k in obj} if real_ids else None
            if real_ids and names and not params:
                continue

            @seed(20261127)
            @settings(max_examples=n, database=None, deadline=None, phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode, path_parameters=params))
            def run(case):
                try:
                    r = case.call(base_url=base, headers=headers, timeout=60)
                    statuses[r.status_code] += 1
                except requests.RequestException as exc:
                    statuses[type(exc).__name__] += 1

            try:
                run()
            except Exception as exc:  # a generation problem of one operation must not stop the bench
                statuses[f"skipped ({type(exc).__name__})"] += 1
    return statuses


def uploads(base: str, bearer: str, d_id: int, count: int, mb: int, work: Path) -> Counter:
    port = int(base.rsplit(":", 1)[1])
    statuses: Counter = Counter()
    files = []
    for i in range(count):  # distinct content: every upload becomes a new blob
        p = work / f"up-{i}.bin"
        with open(p, "wb") as fh:
            for _ in range(mb):
                fh.write(os.urandom(1 << 20))
        files.append(p)

    def one(p: Path):
        body, length = multipart(p, "MemBenchBoundary")
        st, _ = raw_request(port, "POST", f"/api/deliverables/{d_id}/versions", bearer, body,
                            {"Content-Type": "multipart/form-data; boundary=MemBenchBoundary",
                             "Content-Length": str(length)})
        statuses[st] += 1

    threads = [threading.Thread(target=one, args=(p,)) for p in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for p in files:
        p.unlink()
    return statuses


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--examples", type=int, default=6, help="schemathesis examples per operation and pass")
    ap.add_argument("--uploads", type=int, default=20)
    ap.add_argument("--upload-mb", type=int, default=20)
    a = ap.parse_args()
    print(f"command: .venv/bin/python bench/memory.py --rounds {a.rounds} --examples {a.examples} "
          f"--uploads {a.uploads} --upload-mb {a.upload_mb}")
    print(f"machine: {machine()}, load average {os.getloadavg()[0]:.1f}")
    import subprocess  # noqa: PLC0415 (why: only to create the spare user)
    with tempfile.TemporaryDirectory(prefix="handover-memory-") as tmp:
        env = prepare(Path(tmp) / "data")
        env["HANDOVER_MAX_UPLOAD_MB"] = str(max(200, a.upload_mb + 10))
        subprocess.run(FLASK + ["user", "create", "spare", "--role", "engineer", "--project", PROJECT],
                       cwd=ROOT, env=env, check=True, capture_output=True)
        tokens = {u: token(env, u) for u in ("admin", "wang.client", "li.eng")}
        with serve("gunicorn", env) as (base, pid):
            obj = objects(base, tokens["admin"])
            sampler = Sampler(pid)
            sampler.start()
            time.sleep(2)
            started = time.monotonic()
            for r in range(1, a.rounds + 1):
                for role, user in (("admin", "admin"), ("client", "wang.client")):
                    t = time.monotonic()
                    st = fuzz(base, tokens[user], obj, a.examples)
                    print(f"round {r} schemathesis as {role}: {sum(v for k, v in st.items() if isinstance(k, int))} "
                          f"requests in {time.monotonic() - t:.0f} s, statuses {dict(sorted(st.items(), key=str))}")
                t = time.monotonic()
                st = uploads(base, tokens["li.eng"], obj["deliverable_id"], a.uploads, a.upload_mb, Path(tmp))
                print(f"round {r} {a.uploads} concurrent {a.upload_mb} MiB uploads: {time.monotonic() - t:.1f} s, "
                      f"statuses {dict(st)}")
                sampler.mark(f"round {r}")
            time.sleep(3)
            sampler.stop.set()
            sampler.join()
    s = [m for _, m, _ in sampler.samples]
    took = time.monotonic() - started
    half = len(s) // 2
    print(f"gunicorn tree ({sampler.samples[-1][2]} processes) RSS over {took:.0f} s, {len(s)} samples:")
    print(f"  start {s[0]:.1f} MiB, peak {max(s):.1f} MiB, end {s[-1]:.1f} MiB")
    prev = 0
    for label, i, per in sampler.marks:
        seg = s[prev:i] or [s[-1]]
        print(f"  {label}: peak {max(seg):.1f} MiB, end {seg[-1]:.1f} MiB (master + workers: {per} MiB)")
        prev = i
    print(f"  first half mean/peak {statistics.mean(s[:half]):.1f}/{max(s[:half]):.1f} MiB, "
          f"second half mean/peak {statistics.mean(s[half:]):.1f}/{max(s[half:]):.1f} MiB, "
          f"growth (second - first half mean) {statistics.mean(s[half:]) - statistics.mean(s[:half]):+.1f} MiB")


if __name__ == "__main__":
    main()
