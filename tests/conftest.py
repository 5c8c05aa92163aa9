"""Fixtures: app/client/runner over a fresh database (SQLite always, PostgreSQL when
HANDOVER_TEST_DATABASE_URL is set), an injectable clock, and a small `world`."""
from __future__ import annotations

import copy
import os
import shutil
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from core import db  # noqa: E402
from core.db import make_engine  # noqa: E402
from core.migrate import upgrade  # noqa: E402
import fresh_db  # noqa: E402
from actions import PASSWORD, Actions  # noqa: E402,F401  (PASSWORD: imported from here by tests)
from browser_support import chromium  # noqa: E402,F401  (session fixture behind `browser`)

# Renditions start LibreOffice in the worker: off for the suite (apps and worker processes
# inherit it); tests/test_renditions.py turns them on where it tests them.
os.environ.setdefault("HANDOVER_RENDITIONS", "0")
PG_URL = os.environ.get("HANDOVER_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


class FakeClock:
    """A settable clock for app.config['CLOCK']."""

    def __init__(self, start: datetime):
        self.value = start

    def __call__(self) -> datetime:
        return self.value

    def set(self, value: datetime) -> None:
        self.value = value

    def advance(self, **kw) -> None:
        self.value = self.value + timedelta(**kw)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing():
    """argon2id with small parameters in-process: the same code path, ~100x faster, so
    fixtures that create seven users per test stay quick (production keeps the defaults;
    CLI subprocess tests still use them)."""
    from argon2 import PasswordHasher
    import core.auth
    original = core.auth._hasher
    core.auth._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    core.auth._hasher = original


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite file copied for each test (fast fresh databases)."""
    path = tmp_path_factory.mktemp("tpl") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_ready():
    """Reset the PostgreSQL test database once per session and migrate it."""
    if not PG_URL:
        return None
    engine = make_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    engine.dispose()
    return PG_URL


def _truncate_pg(url: str) -> None:
    """Every table empty (but alembic_version) and sequences restarted, as TRUNCATE ... RESTART
    IDENTITY would leave them, in a few milliseconds (see fresh_db)."""
    fresh_db.restore(url)


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


START = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


def _fresh_app(backend: str, data: Path, sqlite_template: Path, request, clock) -> Flask:
    """An app over an empty migrated database whose files live in `data` (created here)."""
    data.mkdir()
    if backend == "sqlite":
        shutil.copy(sqlite_template, data / "handover.db")
        url = f"sqlite:///{data / 'handover.db'}"
    else:
        url = request.getfixturevalue("pg_ready")
        _truncate_pg(url)
    return _make_app(data, url, clock)


def _make_app(data: Path, url: str, clock) -> Flask:
    return create_app({"HANDOVER_DATA": str(data), "DATABASE_URL": url, "TESTING": True,
                       "SECRET_KEY": "test", "CLOCK": clock, "WTF_CSRF_ENABLED": True})


@dataclass
class Snapshot:
    """The `world` built once per backend: its data folder, its World and (PostgreSQL) its rows."""
    data: Path
    world: "World"
    pg: fresh_db.PgState | None


@pytest.fixture(scope="session")
def world_snapshots() -> dict[str, Snapshot]:
    return {}


def _world_snapshot(backend: str, request, sqlite_template: Path) -> Snapshot:
    """Build `world` once per session and backend, the same way the `world` fixture would."""
    snapshots = request.getfixturevalue("world_snapshots")
    if backend not in snapshots:
        data = request.getfixturevalue("tmp_path_factory").mktemp(f"world-{backend}") / "data"
        application = _fresh_app(backend, data, sqlite_template, request, FakeClock(START))
        w = build_world(application)
        url = application.config["DATABASE_URL"]
        application.extensions["handover.db"].kw["bind"].dispose()
        snapshots[backend] = Snapshot(data, w, fresh_db.capture(url) if backend == "postgresql" else None)
    return snapshots[backend]


@pytest.fixture
def app(backend, tmp_path, sqlite_template, request, clock):
    """A fresh app and database per test. A test that asks for `world` starts from a copy of
    the world built once per session (data folder copied, PostgreSQL rows put back), which
    is the state the `world` fixture would build."""
    data = tmp_path / "data"
    snapshot = _world_snapshot(backend, request, sqlite_template) if "world" in request.fixturenames else None
    if snapshot is None:
        application = _fresh_app(backend, data, sqlite_template, request, clock)
    else:
        shutil.copytree(snapshot.data, data)
        url = f"sqlite:///{data / 'handover.db'}" if backend == "sqlite" else request.getfixturevalue("pg_ready")
        if backend == "postgresql":
            fresh_db.restore(url, snapshot.pg)
        application = _make_app(data, url, clock)
        application.extensions["tests.world"] = snapshot.world
    yield application
    db_ext = application.extensions["handover.db"]
    db_ext.kw["bind"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@dataclass
class World:
    """Two projects; users of every role with their tokens."""
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)

    def h(self, who: str) -> dict:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture
def world(app) -> World:
    """admin; pm/engineer/client on project P1; client2 (and pm2) on project P2; outsider."""
    built = app.extensions.get("tests.world")
    return copy.deepcopy(built) if built is not None else build_world(app)


def build_world(app) -> World:
    """Create the `world` fixture's users and projects through the operations."""
    from core.users import create_user
    from deliverables.projects import create_project
    from projects.membership import add_member
    w = World()
    with app.app_context():
        users = {}
        for name, role in [("admin", "admin"), ("pm", "pm"), ("engineer", "engineer"), ("client", "client"),
                           ("pm2", "pm"), ("client2", "client"), ("outsider", "engineer")]:
            users[name], w.tokens[name] = create_user(name, role, password=PASSWORD, display_name=name.upper())
        admin = users["admin"]
        p1 = create_project(admin, "P1", "智慧园区综合管理平台", "某市城市管理局")
        p2 = create_project(admin, "P2", "另一个项目", "另一家客户")
        for n in ("pm", "engineer", "client"):
            add_member(admin, p1, users[n])
        for n in ("pm2", "client2"):
            add_member(admin, p2, users[n])
        w.ids = {"P1": p1.id, "P2": p2.id, **{n: u.id for n, u in users.items()}}
        db.session().commit()
    return w


@pytest.fixture
def actions(app, client, world) -> Actions:
    """What users do, through the test client (see tests/actions.py): upload, sign, draft,
    report a fault, record a fault event, search, log in to the pages."""
    return Actions(app, client, world)


@pytest.fixture
def upload(actions):
    """upload(deliverable_id, bytes, filename, who="engineer") -> version JSON (asserts 201);
    the same as actions.upload."""
    return actions.upload
