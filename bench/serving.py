"""Start a Handover server for a benchmark: a fresh data folder with the demo seeded, either
the production server (gunicorn with gunicorn.conf.py, plus one worker) or Flask's
development server, on a free local port. Used by bench/load.py and bench/portfolio.py."""
from __future__ import annotations

import os
import platform
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
FLASK = [sys.executable, "-m", "flask", "--app", "app"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def machine() -> str:
    return f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}"


def prepare(data: Path, database_url: str = "") -> dict:
    """`flask init` + `flask demo` into `data`; returns the environment for the server."""
    env = dict(os.environ, HANDOVER_DATA=str(data), PYTHONUNBUFFERED="1")
    if database_url:
        env["DATABASE_URL"] = database_url
    for cmd in (["init"], ["demo"]):
        subprocess.run(FLASK + cmd, cwd=ROOT, env=env, check=True, capture_output=True)
    return env


def token(env: dict, username: str) -> str:
    out = subprocess.run(FLASK + ["user", "token", username], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout
    return out.strip().splitlines()[-1]


@contextmanager
def serve(kind: str, env: dict, log: Path | None = None):
    """Yield the base URL of a running server of `kind` ('gunicorn' or 'dev'); its output goes
    to `log` when given (errors and tracebacks for a bench to count), else nowhere."""
    port = free_port()
    procs = []
    out = open(log, "ab") if log else subprocess.DEVNULL
    if kind == "gunicorn":
        genv = dict(env, HANDOVER_BIND=f"127.0.0.1:{port}")
        procs.append(subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py",
                                       "--access-logfile", "/dev/null", "app:create_app()"],
                                      cwd=ROOT, env=genv, stdout=out, stderr=subprocess.STDOUT,
                                      start_new_session=True))
        procs.append(subprocess.Popen(FLASK + ["worker"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, start_new_session=True))
    else:
        procs.append(subprocess.Popen(FLASK + ["run", "--port", str(port), "--with-threads"], cwd=ROOT, env=env,
                                      stdout=out, stderr=subprocess.STDOUT, start_new_session=True))
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if requests.get(base + "/healthz", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{kind} server did not start")
        time.sleep(0.3)
    try:
        yield base, procs[0].pid
    finally:
        for p in procs:
            try:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(p.pid, signal.SIGKILL)
        if log:
            out.close()
