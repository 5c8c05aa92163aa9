"""Backup and restore drill: `flask backup create` (a real subprocess) while uploads go on,
`flask backup restore` into an empty folder and database, then every acknowledged version
downloads byte-exact and `audit verify` and `fsck` pass. SQLite always; PostgreSQL (and
SQLite → PostgreSQL) when HANDOVER_TEST_DATABASE_URL is set."""
from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from app import create_app
from core.db import make_engine

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("HANDOVER_TEST_DATABASE_URL", "")


def flask(env_data: str, env_db: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, HANDOVER_DATA=env_data, DATABASE_URL=env_db)
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture
def empty_target(tmp_path, backend):
    """An empty data folder and an empty database of the same kind as the source."""
    data = tmp_path / "restored"
    if backend == "sqlite":
        yield str(data), f"sqlite:///{data / 'handover.db'}"
        return
    name = f"handover_restore_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL.rsplit("/", 1)[0] + "/postgres").execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield str(data), PG_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _deliverable_ids(client, world) -> list[int]:
    return [d["id"] for d in client.get("/api/projects/P1/deliverables", headers=world.h("pm")).json][:8]


def _upload(app, world, deliverable_id: int, data: bytes, name: str) -> int | None:
    r = app.test_client().post(f"/api/deliverables/{deliverable_id}/versions", headers=world.h("engineer"),
                               data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")
    return r.json["id"] if r.status_code == 201 else None


def _check_restored(data: str, url: str, world, acknowledged: dict[int, bytes]) -> None:
    restored = create_app({"HANDOVER_DATA": data, "DATABASE_URL": url, "TESTING": True})
    client = restored.test_client()
    for version_id, body in acknowledged.items():
        r = client.get(f"/api/versions/{version_id}/file", headers=world.h("pm"))
        assert r.status_code == 200, (version_id, r.status_code)
        assert hashlib.sha256(r.data).hexdigest() == hashlib.sha256(body).hexdigest()
    restored.extensions["handover.db"].kw["bind"].dispose()
    verify = flask(data, url, "audit", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    fsck = flask(data, url, "fsck")
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr


def test_backup_during_uploads_restores_every_acknowledged_version(app, client, world, tmp_path, empty_target):
    data, url = app.config["HANDOVER_DATA"], app.config["DATABASE_URL"]
    ids = _deliverable_ids(client, world)
    before = {}
    for i, d in enumerate(ids):
        body = f"# 第{i}份文档\n\n备份演练：门禁与停车场子系统。\n".encode() * 50
        before[_upload(app, world, d, body, f"文档{i}.md")] = body
    assert None not in before

    during: dict[int, bytes] = {}
    stop = threading.Event()

    def keep_uploading(n: int):
        k = 0
        while not stop.is_set() and k < 15:
            body = os.urandom(20_000) + f"{n}-{k}".encode()
            vid = _upload(app, world, ids[(n + k) % len(ids)], body, f"并发-{n}-{k}.bin")
            if vid:
                during[vid] = body
            k += 1

    threads = [threading.Thread(target=keep_uploading, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    backup_dir = tmp_path / "backup-1"
    made = flask(data, url, "backup", "create", str(backup_dir))
    stop.set()
    for t in threads:
        t.join()
    assert made.returncode == 0, made.stdout + made.stderr
    assert "backup complete" in made.stdout and (backup_dir / "MANIFEST.json").is_file()
    # a second backup into the same folder is refused
    assert flask(data, url, "backup", "create", str(backup_dir)).returncode == 1

    target_data, target_url = empty_target
    restored = flask(target_data, target_url, "backup", "restore", str(backup_dir))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    _check_restored(target_data, target_url, world, before)

    # Versions acknowledged while the backup ran are either restored byte-exact or absent.
    check = create_app({"HANDOVER_DATA": target_data, "DATABASE_URL": target_url, "TESTING": True})
    c = check.test_client()
    present = 0
    for vid, body in during.items():
        r = c.get(f"/api/versions/{vid}/file", headers=world.h("pm"))
        assert r.status_code in (200, 404)
        if r.status_code == 200:
            present += 1
            assert r.data == body
    check.extensions["handover.db"].kw["bind"].dispose()

    # Restoring again over the restored data is refused, and nothing changes.
    again = flask(target_data, target_url, "backup", "restore", str(backup_dir))
    assert again.returncode == 1 and "restore refused" in again.stderr


def test_a_tampered_backup_is_refused(app, client, world, tmp_path, empty_target):
    data, url = app.config["HANDOVER_DATA"], app.config["DATABASE_URL"]
    ids = _deliverable_ids(client, world)
    assert _upload(app, world, ids[0], "原始内容".encode() * 100, "a.md")
    backup_dir = tmp_path / "backup-2"
    assert flask(data, url, "backup", "create", str(backup_dir)).returncode == 0
    blob = next(p for p in (backup_dir / "blobs").rglob("*") if p.is_file())
    blob.write_bytes(blob.read_bytes() + b"x")
    target_data, target_url = empty_target
    r = flask(target_data, target_url, "backup", "restore", str(backup_dir))
    assert r.returncode == 1 and "does not verify" in r.stderr


@pytest.mark.skipif(not PG_URL, reason="SQLite → PostgreSQL needs a PostgreSQL server (HANDOVER_TEST_DATABASE_URL)")
@pytest.mark.parametrize("backend", ["sqlite"])  # the source is SQLite; the target PostgreSQL
def test_sqlite_backup_restores_into_postgresql(tmp_path, world, app, client, backend):
    ids = _deliverable_ids(client, world)
    bodies = {}
    for i, d in enumerate(ids[:3]):
        body = f"# 割接方案 {i}\n\n停车场道闸白名单同步。\n".encode() * 20
        bodies[_upload(app, world, d, body, f"割接-{i}.md")] = body
    backup_dir = tmp_path / "backup-3"
    assert flask(app.config["HANDOVER_DATA"], app.config["DATABASE_URL"], "backup", "create",
                 str(backup_dir)).returncode == 0
    name = f"handover_restore_{uuid.uuid4().hex[:10]}"
    base = PG_URL.rsplit("/", 1)[0]
    admin = make_engine(base + "/postgres").execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        target_data, target_url = str(tmp_path / "pg-restored"), f"{base}/{name}"
        r = flask(target_data, target_url, "backup", "restore", str(backup_dir))
        assert r.returncode == 0, r.stdout + r.stderr
        _check_restored(target_data, target_url, world, bodies)
        restored = create_app({"HANDOVER_DATA": target_data, "DATABASE_URL": target_url, "TESTING": True})
        hits = restored.test_client().get("/api/search?q=道闸", headers=world.h("pm")).json
        assert {h["version_id"] for h in hits["hits"]} >= set(bodies)
        # new rows get fresh ids after the copied ones (sequences were moved on)
        more = _upload(restored, world, ids[0], b"new after restore", "new.md")
        assert more and more > max(bodies)
        restored.extensions["handover.db"].kw["bind"].dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.skipif(not PG_URL, reason="a PostgreSQL backup needs a PostgreSQL server (HANDOVER_TEST_DATABASE_URL)")
@pytest.mark.parametrize("backend", ["postgresql"])
def test_postgresql_backup_is_not_restored_into_sqlite(app, tmp_path, backend):
    backup_dir = tmp_path / "backup-4"
    assert flask(app.config["HANDOVER_DATA"], app.config["DATABASE_URL"], "backup", "create",
                 str(backup_dir)).returncode == 0
    target = tmp_path / "sqlite-target"
    r = flask(str(target), f"sqlite:///{target / 'handover.db'}", "backup", "restore", str(backup_dir))
    assert r.returncode == 1 and "PostgreSQL only" in r.stderr
