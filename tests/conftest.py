"""Fixtures: app/client/runner over a fresh database (SQLite always, PostgreSQL when
HANDOVER_TEST_DATABASE_URL is set), an injectable clock, and a small `world`."""
from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from core import db  # noqa: E402
from core.db import make_engine  # noqa: E402
from core.migrate import upgrade  # noqa: E402

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
    engine = make_engine(url)
    with engine.begin() as conn:
        tables = [r[0] for r in conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'"))]
        if tables:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc))


@pytest.fixture
def app(backend, tmp_path, sqlite_template, request, clock):
    data = tmp_path / "data"
    data.mkdir()
    if backend == "sqlite":
        shutil.copy(sqlite_template, data / "handover.db")
        url = f"sqlite:///{data / 'handover.db'}"
    else:
        url = request.getfixturevalue("pg_ready")
        _truncate_pg(url)
    application = create_app({"HANDOVER_DATA": str(data), "DATABASE_URL": url, "TESTING": True,
                              "SECRET_KEY": "test", "CLOCK": clock, "WTF_CSRF_ENABLED": True})
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


PASSWORD = "correct horse 1"


@pytest.fixture
def world(app) -> World:
    """admin; pm/engineer/client on project P1; client2 (and pm2) on project P2; outsider."""
    from core.users import create_user
    from deliverables.projects import add_member, create_project
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
def upload(client, world):
    """upload(deliverable_id, bytes, filename, who="engineer") -> version JSON (asserts 201)."""
    import io

    def _upload(deliverable_id: int, data: bytes, filename: str, who: str = "engineer", note: str = "") -> dict:
        r = client.post(f"/api/deliverables/{deliverable_id}/versions", headers=world.h(who),
                        data={"file": (io.BytesIO(data), filename), "note": note},
                        content_type="multipart/form-data")
        assert r.status_code == 201, r.json
        return r.json
    return _upload
