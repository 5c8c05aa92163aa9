"""Two app servers on one PostgreSQL and one data folder, as a vendor deploys them behind a
load balancer: each gunicorn runs in its own network namespace (ip netns + a veth pair),
reaching PostgreSQL through a relay on its veth's host side; two workers run beside them.
A user logs in on one and goes on on the other; an upload through one downloads, searches
and signs through the other; five failed logins spread over both lock the account; the two
workers tick together without escalating a fault twice.

Where the machine cannot make network namespaces (not root, no iproute2), the two servers
listen on two loopback addresses (127.0.0.2, 127.0.0.3) instead; the test says which."""
from __future__ import annotations

import asyncio
import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import date

import pytest
import requests
from sqlalchemy import func, select

from conftest import PASSWORD
from core import db
from processes import stop, wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PG_URL = os.environ.get("HANDOVER_TEST_DATABASE_URL", "")
PORT = 8000
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')

pytestmark = pytest.mark.skipif(not PG_URL, reason="two app servers share one PostgreSQL "
                                                   "(HANDOVER_TEST_DATABASE_URL); SQLite is one machine's database")


def _run(*cmd: str) -> None:
    subprocess.run(cmd, check=True, capture_output=True, timeout=30)


class Relay:
    """A TCP relay in the root namespace: listen -> 127.0.0.1:5432 (PostgreSQL listens on
    loopback only, which a process in another namespace cannot reach)."""

    def __init__(self, listen_host: str, target=("127.0.0.1", 5432)):
        self.listen_host, self.target = listen_host, target
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._main, daemon=True)

    async def _pipe(self, reader, writer):
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _handle(self, reader, writer):
        up_r, up_w = await asyncio.open_connection(*self.target)
        await asyncio.gather(self._pipe(reader, up_w), self._pipe(up_r, writer))

    def _main(self):
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(asyncio.start_server(self._handle, self.listen_host, 5432))
        self.ready.set()
        self.loop.run_forever()

    def start(self):
        self.thread.start()
        assert self.ready.wait(10)

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@contextmanager
def two_hosts():
    """Yield [(prefix command, address the server binds, database host)] for two hosts."""
    tag = uuid.uuid4().hex[:4]
    made, relays = [], []
    try:
        hosts = []
        for i in (1, 2):
            ns, host_if, ns_if = f"hv{tag}{i}", f"hv{tag}{i}h", f"hv{tag}{i}n"
            host_ip, ns_ip = f"10.231.{i}.1", f"10.231.{i}.2"
            _run("ip", "netns", "add", ns)
            made.append((ns, host_if))
            _run("ip", "link", "add", host_if, "type", "veth", "peer", "name", ns_if)
            _run("ip", "link", "set", ns_if, "netns", ns)
            _run("ip", "addr", "add", f"{host_ip}/24", "dev", host_if)
            _run("ip", "link", "set", host_if, "up")
            _run("ip", "netns", "exec", ns, "ip", "addr", "add", f"{ns_ip}/24", "dev", ns_if)
            _run("ip", "netns", "exec", ns, "ip", "link", "set", ns_if, "up")
            _run("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
            relay = Relay(host_ip)
            relay.start()
            relays.append(relay)
            hosts.append((["ip", "netns", "exec", ns], ns_ip, host_ip))
        mode = "network namespaces"
    except (subprocess.CalledProcessError, FileNotFoundError, PermissionError, OSError):
        hosts = [([], "127.0.0.2", "127.0.0.1"), ([], "127.0.0.3", "127.0.0.1")]
        mode = "loopback addresses"
    try:
        yield mode, hosts
    finally:
        for relay in relays:
            relay.stop()
        for ns, host_if in made:
            subprocess.run(["ip", "link", "del", host_if], capture_output=True)
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def _wait_http(url: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} did not come up")


def _login(session: requests.Session, base: str, username: str, password: str) -> requests.Response:
    page = session.get(f"{base}/login", timeout=20)
    token = TOKEN_RE.search(page.text).group(1)
    return session.post(f"{base}/login", data={"username": username, "password": password, "csrf_token": token},
                        allow_redirects=False, timeout=20)


@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_app_servers_share_everything(app, world, backend, tmp_path):
    data = app.config["HANDOVER_DATA"]
    db_name = PG_URL.rsplit("/", 1)[1]
    from projects.models import Project
    with app.app_context():
        p = db.session().scalar(select(Project).where(Project.code == "P1"))
        p.maintenance_start = date(2026, 11, 23)
        db.session().commit()
    procs, logs = [], []
    with two_hosts() as (mode, hosts):
        print(f"two servers on {mode}")
        bases = []
        try:
            for i, (prefix, bind, db_host) in enumerate(hosts):
                env = dict(os.environ, HANDOVER_DATA=data, DATABASE_URL=f"postgresql://postgres@{db_host}:5432/{db_name}",
                           HANDOVER_BIND=f"{bind}:{PORT}", HANDOVER_WEB_WORKERS="1", HANDOVER_WEB_THREADS="4",
                           HANDOVER_REDIS_URL="")
                log = open(tmp_path / f"server{i}.log", "wb")
                logs.append(tmp_path / f"server{i}.log")
                procs.append(subprocess.Popen(prefix + [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py",
                                                        "app:create_app()"],
                                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                              start_new_session=True))
                wlog = open(tmp_path / f"worker{i}.log", "wb")
                procs.append(subprocess.Popen(prefix + [sys.executable, "-m", "flask", "--app", "app", "worker",
                                                        "--threads", "2"],
                                              cwd=ROOT, env=env, stdout=wlog, stderr=subprocess.STDOUT,
                                              start_new_session=True))
                bases.append(f"http://{bind}:{PORT}")
            for base in bases:
                _wait_http(f"{base}/healthz")
            a, b = bases
            health = requests.get(f"{b}/healthz", timeout=10).json()
            assert health["database"] == "ok" and health["queue"] == "ok"

            # A user logs in on A and goes on on B with the same cookie.
            # (behind a load balancer both share one host name; here the cookie is carried over by hand)
            s = requests.Session()
            assert _login(s, a, "pm", PASSWORD).status_code == 302
            cookie = s.cookies.get("session")
            assert cookie
            home_b = requests.get(f"{b}/", cookies={"session": cookie}, timeout=20)
            assert home_b.status_code == 200 and "/login" not in home_b.url and "P1" in home_b.text

            # An upload through A downloads, searches and signs through B.
            body = "# 割接方案\n\n门禁控制器与停车场道闸的割接步骤。\n".encode() * 30
            deliverables = requests.get(f"{a}/api/projects/P1/deliverables", headers=world.h("engineer"),
                                        timeout=20).json()
            d_id = deliverables[0]["id"]
            up = requests.post(f"{a}/api/deliverables/{d_id}/versions", headers=world.h("engineer"),
                               files={"file": ("割接方案.md", io.BytesIO(body))}, timeout=60)
            assert up.status_code == 201, up.text
            vid = up.json()["id"]
            got = requests.get(f"{b}/api/versions/{vid}/file", headers=world.h("pm"), timeout=20)
            assert got.status_code == 200 and got.content == body
            hits = requests.get(f"{b}/api/search", params={"q": "道闸"}, headers=world.h("pm"), timeout=20).json()
            assert vid in [h["version_id"] for h in hits["hits"]]
            signed = requests.post(f"{b}/api/versions/{vid}/signoffs", headers=world.h("pm"),
                                   json={"decision": "approve", "comment": "同意。"}, timeout=20)
            assert signed.status_code in (200, 201), signed.text

            # Five failed logins spread over both servers lock the account on both.
            for i in range(5):
                r = _login(requests.Session(), bases[i % 2], "engineer", "wrong password")
                assert r.status_code != 302
            for base in bases:
                locked = _login(requests.Session(), base, "engineer", PASSWORD)
                assert locked.status_code != 302, "the account should be locked on every server"

            # Overdue faults: both workers tick (queued here as the scheduler would) — escalated once.
            for _ in range(3):
                assert requests.post(f"{a}/api/projects/P1/faults", headers=world.h("client"), timeout=20,
                                     json={"level": 4, "title": "门禁离线", "channel": "phone",
                                           "reported_at": "2026-11-20T09:00:00+08:00"}).status_code == 201
            with app.app_context():
                tick = app.extensions["huey_tasks"]["sla_tick"]
                for _ in range(4):
                    tick()
            from core.models import AuditEntry
            from maintenance.models import FaultEscalation

            def counts():
                with app.app_context():
                    s = db.session()
                    return (s.scalar(select(func.count()).select_from(FaultEscalation)),
                            s.scalar(select(func.count()).select_from(AuditEntry)
                                     .where(AuditEntry.action == "fault.escalate")),
                            app.extensions["huey"].storage.queue_size())
            wait_for(lambda: counts()[0] > 0 and counts()[2] == 0, seconds=90, every=0.5)
            escalations, audited, pending = counts()  # each escalation and its audit entry commit together
            assert escalations >= 3 and audited == escalations and pending == 0
        except BaseException:
            for path in logs:
                sys.stderr.write(path.read_text(errors="replace")[-3000:])
            raise
        finally:
            for proc in procs:
                stop(proc, signal.SIGTERM)
