"""The commands of API.md, run as real subprocesses."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLASK = [sys.executable, "-m", "flask", "--app", "app"]


def run(args, env, check=True):
    r = subprocess.run(FLASK + args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    if check:
        assert r.returncode == 0, r.stderr + r.stdout
    return r


def _env(tmp_path, backend, request):
    env = dict(os.environ, HANDOVER_DATA=str(tmp_path / "data"))
    env.pop("DATABASE_URL", None)
    if backend == "postgresql":
        request.getfixturevalue("pg_ready")
        from tests.conftest import PG_URL, _truncate_pg
        _truncate_pg(PG_URL)
        env["DATABASE_URL"] = PG_URL
    return env


def test_init_twice_user_create_and_token(tmp_path, backend, request):
    env = _env(tmp_path, backend, request)
    assert "33 documents" in run(["init"], env).stdout
    run(["init"], env)  # safe to run twice
    token = run(["user", "create", "boss", "--role", "admin", "--password", "s3cret-pass"], env).stdout.splitlines()[-1]
    assert len(token) >= 22
    from app import create_app
    app = create_app({"HANDOVER_DATA": env["HANDOVER_DATA"], "DATABASE_URL": env.get("DATABASE_URL", "")
                      or f"sqlite:///{tmp_path / 'data' / 'handover.db'}"})
    c = app.test_client()
    with app.app_context():
        from sqlalchemy import text
        from core import db
        stored = db.session().execute(text("SELECT password_hash FROM users WHERE username='boss'")).scalar()
    assert stored.startswith("$argon2id$") and "m=65536" in stored  # memory-hard, library defaults
    assert c.post("/api/projects", json={"code": "CLI-1", "name": "n", "client": "c"},
                  headers={"Authorization": f"Bearer {token}"}).status_code == 201
    out = run(["user", "create", "kehu", "--role", "client", "--project", "CLI-1"], env).stdout
    client_token = out.splitlines()[-1]
    assert c.get("/api/projects/CLI-1", headers={"Authorization": f"Bearer {client_token}"}).status_code == 200
    new = run(["user", "token", "kehu"], env).stdout.splitlines()[-1]
    assert c.get("/api/projects", headers={"Authorization": f"Bearer {client_token}"}).status_code == 401
    assert c.get("/api/projects", headers={"Authorization": f"Bearer {new}"}).status_code == 200
    r = run(["user", "create", "kehu", "--role", "client"], env, check=False)
    assert r.returncode != 0 and "exists" in r.stderr
    r = run(["user", "create", "x2", "--role", "client", "--project", "NOPE"], env, check=False)
    assert r.returncode != 0
    r = run(["user", "create", "x3", "--role", "boss"], env, check=False)
    assert r.returncode != 0
    app.extensions["handover.db"].kw["bind"].dispose()


def test_tokens_are_random_and_stored_hashed(app, world):
    from sqlalchemy import select
    from core import db
    from core.models import ApiToken
    with app.app_context():
        hashes = list(db.session().scalars(select(ApiToken.token_hash)))
    assert world.tokens["pm"] not in hashes and len(set(world.tokens.values())) == len(world.tokens)
    assert all(len(t) >= 43 for t in world.tokens.values())  # 32 random bytes, urlsafe base64
