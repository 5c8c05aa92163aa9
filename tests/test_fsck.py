"""Crash hygiene (issue 11): `flask fsck` as a subprocess; orphans are warnings, missing or
corrupt blobs errors; temp files of dead writers go at start-up; no orphan from a bad name."""
from __future__ import annotations

import fcntl
import hashlib
import io
import os
import subprocess
import sys
import time
from pathlib import Path

from web_support import login, page_token

ROOT = Path(__file__).resolve().parent.parent
FLASK = [sys.executable, "-m", "flask", "--app", "app"]
HOUR = 3600


def fsck(app, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, HANDOVER_DATA=app.config["HANDOVER_DATA"], DATABASE_URL=app.config["DATABASE_URL"],
               HANDOVER_ORPHAN_GRACE_MINUTES="60")
    return subprocess.run(FLASK + ["fsck", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def _upload(client, world, data: bytes, name: str) -> dict:
    ds = client.get("/api/projects/P1/deliverables", headers=world.h("pm")).json
    r = client.post(f"/api/deliverables/{ds[0]['id']}/versions", headers=world.h("engineer"),
                    data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")
    assert r.status_code == 201, r.json
    return r.json


def _blob_files(app) -> list[Path]:
    root = Path(app.config["HANDOVER_DATA"]) / "blobs"
    return [p for p in root.rglob("*") if p.is_file()]


def _orphan(app, content: bytes, age_seconds: float) -> Path:
    """A file in the blob folder without a row, as a crash between rename and commit leaves it."""
    sha = hashlib.sha256(content).hexdigest()
    path = Path(app.config["HANDOVER_DATA"]) / "blobs" / sha[:2] / sha[2:4] / sha
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    then = time.time() - age_seconds
    os.utime(path, (then, then))
    return path


def test_orphans_are_warnings_repair_keeps_young_ones_and_damage_stays_an_error(app, client, world):
    v = _upload(client, world, b"referenced bytes", "a.txt")
    young = _orphan(app, b"upload in flight", 60)
    old = _orphan(app, b"left by a crash", 2 * HOUR)
    r = fsck(app)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert any(ln.startswith(f"orphaned: {young}") and "younger than the grace period" in ln for ln in lines)
    assert any(ln.startswith(f"orphaned: {old}") and "older than the grace period" in ln for ln in lines)
    assert "fsck: 0 missing, 0 corrupt, 2 orphaned" in r.stdout
    r = fsck(app, "--repair")
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"removed orphan: {old}" in r.stdout and not old.exists()
    assert young.exists(), "an orphan younger than the grace period may be an upload in flight"
    assert "fsck: 0 missing, 0 corrupt, 1 orphaned" in r.stdout
    got = client.get(f"/api/versions/{v['id']}/file", headers=world.h("pm"))
    assert got.status_code == 200 and got.data == b"referenced bytes"
    # Damage stays an error, with or without --repair.
    blob = Path(app.config["HANDOVER_DATA"]) / "blobs" / v["sha256"][:2] / v["sha256"][2:4] / v["sha256"]
    os.chmod(blob, 0o644)
    blob.write_bytes(b"tampered")
    r = fsck(app, "--repair")
    assert r.returncode == 1 and f"corrupt: {v['sha256']}" in r.stdout and blob.exists()
    blob.unlink()
    r = fsck(app)
    assert r.returncode == 1 and f"missing: {v['sha256']}" in r.stdout


def test_leftover_temp_files_go_at_start_up_and_live_ones_stay(app):
    from app import create_app
    from core.blob_check import repair
    tmp = Path(app.config["HANDOVER_DATA"]) / "blobs" / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    dead = tmp / "up-crashed"
    dead.write_bytes(b"half an upload")
    live = tmp / "up-live"
    fh = open(live, "wb")  # an upload in progress: its writer holds the lock (core.storage.open_temp)
    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    just_made = tmp / "up-just-made"  # created a moment ago; its writer is about to lock it
    just_made.write_bytes(b"")
    old = time.time() - 3600  # the crash was an hour ago
    os.utime(dead, (old, old))
    os.utime(live, (old, old))
    try:
        started = create_app({"HANDOVER_DATA": app.config["HANDOVER_DATA"], "DATABASE_URL": app.config["DATABASE_URL"],
                              "SECRET_KEY": "test"})
        started.extensions["handover.db"].kw["bind"].dispose()
        assert not dead.exists(), "start-up removes temp files nobody writes"
        assert live.exists(), "start-up keeps a temp file a live upload holds"
        assert just_made.exists(), "start-up keeps a temp file too new to judge"
        with app.app_context():
            assert repair() == []
    finally:
        just_made.unlink()
        fh.close()
    with app.app_context():  # the writer is gone: the periodic job (or fsck --repair) removes it
        assert repair() == [live] and not live.exists()


def test_names_that_clean_to_nothing_leave_no_orphan(app, client, world):
    ds = client.get("/api/projects/P1/deliverables", headers=world.h("pm")).json
    url = f"/api/deliverables/{ds[0]['id']}/versions"
    for i, name in enumerate(["..", "\x00", " . ", "x/..", "\x00\x01."]):
        r = client.post(url, headers=world.h("engineer"), data={"file": (io.BytesIO(b"bytes %d" % i), name)},
                        content_type="multipart/form-data")
        assert r.status_code == 400 and r.json["error"]["code"] == "invalid_filename", (name, r.json)
    login(client, "engineer")
    token = page_token(client, f"/deliverables/{ds[0]['id']}")
    r = client.post(f"/deliverables/{ds[0]['id']}/upload", data={"file": (io.BytesIO(b"page bytes"), "..")},
                    headers={"X-CSRFToken": token, "X-Requested-With": "XMLHttpRequest"},
                    content_type="multipart/form-data")
    assert r.status_code == 400
    assert _blob_files(app) == [], "a refused name leaves neither a blob nor a temp file"
    r = fsck(app)
    assert r.returncode == 0 and "0 orphaned" in r.stdout, r.stdout
