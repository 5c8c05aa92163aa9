"""kill -9 during concurrent uploads: every upload answered 201 survives, byte-exact.

The real server runs as a subprocess (gunicorn with two workers, as `make serve`) on a
temporary data folder and the test database. Each round starts 20 uploads at once from
threads, kills the server with SIGKILL (master and workers) once some of them have been
answered (others are still in flight), restarts it and checks that every version that got
a 201 downloads with the same sha256, that version numbers stay distinct, and that
`flask fsck` finds no missing or corrupt blob (orphans left by the interrupted uploads are
tolerated: they are what the crash may leave behind, and fsck reports them as warnings).
"""
from __future__ import annotations

import hashlib
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from conftest import PG_URL, _truncate_pg

ROOT = Path(__file__).resolve().parent.parent
FLASK = [sys.executable, "-m", "flask", "--app", "app"]
# The production server of `make run` / `make serve` (gunicorn.conf.py), two worker processes.
GUNICORN = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "app:create_app()"]
PORTS = range(5150, 5200)
ROUNDS = 3
UPLOADS = 20
KILL_AFTER = 6          # answered uploads before the kill: the rest are still in flight
START_TIMEOUT = 60      # seconds for a server to answer after start


def free_port() -> int:
    """A port of our range nobody listens on."""
    for port in random.Random(os.getpid()).sample(list(PORTS), len(PORTS)):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 5150-5199")


def flask_cli(args: list[str], env: dict, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run(FLASK + args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    if check:
        assert r.returncode == 0, r.stderr + r.stdout
    return r


class Server:
    """The server (gunicorn) as a child process group; kill() is SIGKILL, no clean shutdown."""

    def __init__(self, env: dict, log: Path, token: str):
        self.env = env
        self.log = log
        self.token = token  # only our server knows it: a 200 for /api/me is from our process
        self.proc: subprocess.Popen | None = None
        self.base = ""

    def start(self) -> None:
        """Start on a free port of our range; another try on another port if the bind was lost."""
        for _attempt in range(3):
            if self._start_on(free_port()):
                return
        raise AssertionError(f"server did not start: {self.log.read_text(errors='replace')[-2000:]}")

    def _start_on(self, port: int) -> bool:
        self.base = f"http://127.0.0.1:{port}"
        env = dict(self.env, HANDOVER_BIND=f"127.0.0.1:{port}", HANDOVER_WEB_WORKERS="2")
        with open(self.log, "ab") as out:
            # Own process group: the kill takes the master and every worker at once, like a crash.
            self.proc = subprocess.Popen(GUNICORN, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                r = requests.get(self.base + "/api/me", headers={"Authorization": f"Bearer {self.token}"},
                                 timeout=10)
                if r.status_code == 200:
                    return True
            except requests.RequestException:  # not listening yet, or still importing
                pass
            time.sleep(0.1)  # polling the server's start-up, bounded by START_TIMEOUT
        self.kill()
        raise AssertionError(f"server did not answer within {START_TIMEOUT}s")

    def errors(self) -> str:
        """The server log's error lines (for a failure message)."""
        lines = self.log.read_text(errors="replace").splitlines()
        return "\n".join(ln for ln in lines if "rror" in ln or "locked" in ln)[-3000:]

    def kill(self) -> None:
        """SIGKILL to the server's whole process group (master and workers)."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=30)


def _env(tmp_path: Path, backend: str, request) -> dict:
    env = dict(os.environ, HANDOVER_DATA=str(tmp_path / "data"), FLASK_DEBUG="0")
    env.pop("DATABASE_URL", None)
    if backend == "postgresql":
        request.getfixturevalue("pg_ready")  # schema reset and migrated once per session
        _truncate_pg(PG_URL)
        env["DATABASE_URL"] = PG_URL
    return env


def _upload_round(server: Server, token: str, deliverables: list[int], rnd: random.Random) -> dict[int, tuple]:
    """Start UPLOADS uploads at once; SIGKILL the server after KILL_AFTER answers.

    Returns {version_id: (sha256, size)} of the uploads answered 201."""
    answered = threading.Semaphore(0)
    ok: dict[int, tuple] = {}
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    payloads = []
    for i in range(UPLOADS):
        size = rnd.choice([64 * 1024, 512 * 1024, 2 * 1024 * 1024, 6 * 1024 * 1024])
        payloads.append((rnd.choice(deliverables), f"crash-{i}.bin", rnd.randbytes(size)))

    def one(item):
        deliverable_id, name, data = item
        try:
            r = requests.post(f"{server.base}/api/deliverables/{deliverable_id}/versions",
                              headers={"Authorization": f"Bearer {token}"},
                              files={"file": (name, data, "application/octet-stream")}, timeout=120)
        except requests.RequestException:
            return  # cut off by the kill: no promise was made
        finally:
            answered.release()
        with lock:
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
        if r.status_code == 201:
            body = r.json()
            sha = hashlib.sha256(data).hexdigest()
            assert body["sha256"] == sha and body["size"] == len(data)
            with lock:
                ok[body["id"]] = (sha, len(data))

    with ThreadPoolExecutor(max_workers=UPLOADS) as pool:
        futures = [pool.submit(one, item) for item in payloads]
        for _ in range(KILL_AFTER):
            assert answered.acquire(timeout=120), "uploads did not finish in time"
        server.kill()
        for f in futures:
            f.result(timeout=180)
    # Every upload answered before the kill was accepted (no 500 "database is locked" under load).
    assert set(statuses) <= {201}, f"{statuses}\n{server.errors()}"
    return ok


def _check_survivors(server: Server, token: str, survivors: dict[int, tuple]) -> int:
    """Download every promised version; returns how many were lost or differ."""
    lost = 0
    for version_id, (sha, size) in survivors.items():
        r = requests.get(f"{server.base}/api/versions/{version_id}/file",
                         headers={"Authorization": f"Bearer {token}"}, timeout=60)
        if r.status_code != 200 or hashlib.sha256(r.content).hexdigest() != sha or len(r.content) != size:
            lost += 1
    return lost


def _fsck_problems(env: dict) -> tuple[list[str], str]:
    """(missing/corrupt lines, full output). Orphans are accepted: interrupted uploads leave them."""
    r = flask_cli(["fsck"], env, check=False)
    lines = r.stdout.splitlines()
    bad = [ln for ln in lines if ln.startswith(("missing:", "corrupt:"))]
    if r.returncode not in (0, 1) or (r.returncode == 1 and not any(ln.startswith("orphaned:") for ln in lines)):
        bad.append(f"fsck exit {r.returncode}: {r.stderr[-500:]}")
    return bad, r.stdout


def _version_numbers_are_distinct(server: Server, token: str, deliverables: list[int]) -> None:
    for d_id in deliverables:
        r = requests.get(f"{server.base}/api/deliverables/{d_id}/versions",
                         headers={"Authorization": f"Bearer {token}"}, timeout=60)
        assert r.status_code == 200, r.text
        numbers = [v["number"] for v in r.json()]
        assert len(numbers) == len(set(numbers)), f"deliverable {d_id}: version numbers {numbers}"


def test_kill_9_during_concurrent_uploads_loses_nothing(tmp_path, backend, request, capsys):
    started = time.monotonic()
    env = _env(tmp_path, backend, request)
    flask_cli(["init"], env)
    token = flask_cli(["user", "create", "crashadmin", "--role", "admin"], env).stdout.splitlines()[-1]
    auth = {"Authorization": f"Bearer {token}"}
    server = Server(env, tmp_path / "server.log", token)
    request.addfinalizer(server.kill)
    server.start()
    r = requests.post(server.base + "/api/projects", json={"code": "CRASH", "name": "崩溃测试", "client": "甲方"},
                      headers=auth, timeout=30)
    assert r.status_code == 201, r.text
    r = requests.get(server.base + "/api/projects/CRASH/deliverables", headers=auth, timeout=30)
    deliverables = [d["id"] for d in r.json()][:5]  # several uploads race on the same deliverable
    rnd = random.Random(20261127)
    promised: dict[int, tuple] = {}
    per_round = []
    for _ in range(ROUNDS):
        got = _upload_round(server, token, deliverables, rnd)
        promised.update(got)
        server.start()
        lost = _check_survivors(server, token, promised)
        assert lost == 0, f"{lost} of {len(promised)} uploads answered 201 are missing or differ after kill -9"
        per_round.append(len(got))
        _version_numbers_are_distinct(server, token, deliverables)
        bad, out = _fsck_problems(env)
        assert not bad, out
    server.kill()
    orphans = sum(1 for ln in out.splitlines() if ln.startswith("orphaned:"))
    with capsys.disabled():  # figures for the CI log
        print(f"\n[crash {backend}] rounds={ROUNDS} uploads/round={UPLOADS} answered 201 per round={per_round} "
              f"lost=0 orphans reported by fsck={orphans} wall={time.monotonic() - started:.1f}s")
