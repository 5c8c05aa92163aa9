"""The keyed audit chain (issue 11, finding 9): someone who can write the database but does
not hold the key cannot rewrite history; `audit checkpoint` prints the head for anchoring;
migration 0004 keeps the old unkeyed entries and seals them with a keyed marker."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy import select, text

from core.audit import GENESIS, keyed_hash, unkeyed_hash
from core.db import UTCDateTime

ROOT = Path(__file__).resolve().parent.parent
FLASK = [sys.executable, "-m", "flask", "--app", "app"]


def _cli(app, *args, **env_extra):
    env = dict(os.environ, HANDOVER_DATA=app.config["HANDOVER_DATA"], DATABASE_URL=app.config["DATABASE_URL"])
    env.pop("HANDOVER_AUDIT_KEY", None)
    env.pop("HANDOVER_REDIS_URL", None)
    env.update(env_extra)
    return subprocess.run(FLASK + ["audit", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def _rewrite(app, seq: int, hasher, **changes) -> None:
    """What someone with write access to the database does: change entry `seq`, recompute the
    hash of it and of every later entry (re-linking each to the previous) and the head."""
    from core import db
    from core.models import AuditEntry, AuditHead
    with app.app_context():
        s = db.session()
        entries = list(s.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
        prev = GENESIS
        for e in entries:
            if e.seq == seq:
                for k, v in changes.items():
                    setattr(e, k, v)
            if e.seq >= seq:
                e.prev_hash = prev
                e.hash = hasher(prev, e)
            prev = e.hash
        s.get(AuditHead, 1).hash = prev
        s.commit()


def test_an_unkeyed_rewrite_of_the_whole_chain_fails_verify(app, world):
    ok = _cli(app, "verify")
    assert ok.returncode == 0 and "intact" in ok.stdout, ok.stderr
    _rewrite(app, 3, unkeyed_hash, username="mallory")
    r = _cli(app, "verify")
    assert r.returncode == 1 and "entry 3" in r.stderr and "keyed hash" in r.stderr


def test_checkpoint_prints_the_head_and_anchors_catch_even_a_key_holder(app, world, runner):
    from core import db
    from core.clock import iso
    from core.models import AuditEntry, AuditHead
    r = _cli(app, "checkpoint")
    assert r.returncode == 0, r.stderr
    lines = dict(line.split(" ", 1) for line in r.stdout.splitlines())
    with app.app_context():
        head = db.session().get(AuditHead, 1)
        last = db.session().scalar(select(AuditEntry).where(AuditEntry.seq == head.seq))
        last_time = iso(last.at)
    assert lines["entry"] == str(head.seq) and lines["hash"] == head.hash == last.hash
    assert lines["time"] == last_time and last_time.endswith("+08:00")
    assert lines["anchor"] == f"{head.seq}:{head.hash}"
    assert runner.invoke(args=["audit", "verify", "--anchor", lines["anchor"]]).exit_code == 0
    # someone holding the key can recompute a valid chain; the anchor kept elsewhere catches it
    key = app.extensions["handover.audit_key"]
    _rewrite(app, 2, lambda prev, e: keyed_hash(key, prev, e), username="mallory")
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    r = runner.invoke(args=["audit", "verify", "--anchor", lines["anchor"]])
    assert r.exit_code == 1 and f"entry {head.seq}" in r.output and "anchored checkpoint" in r.output
    assert runner.invoke(args=["audit", "verify", "--anchor", "nonsense"]).exit_code == 2


def test_checkpoint_refuses_a_broken_chain(app, world, runner):
    from core import db
    with app.app_context():
        db.session().execute(text("UPDATE audit_entries SET action='user.delete' WHERE seq=2"))
        db.session().commit()
    r = runner.invoke(args=["audit", "checkpoint"])
    assert r.exit_code == 1 and "entry 2" in r.output and "anchor" not in r.output


def test_key_file_is_private_and_a_different_key_fails_verify(app, world):
    import pytest
    from app import create_app
    key_file = Path(app.config["HANDOVER_DATA"]) / "audit_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and len(key_file.read_text().strip()) == 64
    cfg = {k: app.config[k] for k in ("HANDOVER_DATA", "DATABASE_URL", "SECRET_KEY")}
    other = create_app({**cfg, "HANDOVER_AUDIT_KEY": "x" * 40})  # HANDOVER_AUDIT_KEY wins over the file
    r = other.test_cli_runner().invoke(args=["audit", "verify"])
    assert r.exit_code == 1 and "entry 1" in r.output
    other.extensions["handover.db"].kw["bind"].dispose()
    with pytest.raises(RuntimeError, match="at least 32"):
        create_app({**cfg, "HANDOVER_AUDIT_KEY": "short"})


def _old_entry(seq, prev, action):
    """An entry as the code before migration 0004 wrote it (plain sha256)."""
    e = SimpleNamespace(seq=seq, at=datetime(2026, 1, seq, 8, 0, tzinfo=timezone.utc), user_id=None, username="pm",
                        action=action, object_type="project", object_id=str(seq), project_code="P1",
                        detail="{}", remote_addr="10.0.0.1", prev_hash=prev)
    e.hash = unkeyed_hash(prev, e)
    return e


def test_migration_keeps_old_hashes_and_seals_them_with_a_keyed_marker(backend, tmp_path, monkeypatch):
    from migration_support import database_at_0003
    from app import create_app
    from core import audit, db
    from core.models import AuditEntry, AuditHead
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("HANDOVER_DATA", str(data))  # the migration finds the key where the app will
    monkeypatch.delenv("HANDOVER_AUDIT_KEY", raising=False)
    with database_at_0003(backend, tmp_path) as (engine, url, upgrade_to_head):
        old, prev = [], GENESIS
        for seq, action in ((1, "project.create"), (2, "member.add"), (3, "project.update")):
            old.append(_old_entry(seq, prev, action))
            prev = old[-1].hash
        cols = ("seq", "at", "user_id", "username", "action", "object_type", "object_id", "project_code",
                "detail", "remote_addr", "prev_hash", "hash")
        table = sa.table("audit_entries", *(sa.column(c) for c in cols if c != "at"),
                         sa.column("at", UTCDateTime()))
        with engine.begin() as conn:
            conn.execute(table.insert(), [{c: getattr(e, c) for c in cols} for e in old])
            conn.execute(text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 3, :h)"), {"h": prev})
        upgrade_to_head()
        assert (data / "audit_key").exists()
        app = create_app({"HANDOVER_DATA": str(data), "DATABASE_URL": url, "TESTING": True})
        try:
            with app.app_context():
                s = db.session()
                rows = list(s.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
                assert [r.hash for r in rows[:3]] == [e.hash for e in old]  # history is not rewritten
                marker = rows[3]
                assert marker.action == "audit.keyed" and marker.prev_hash == old[2].hash
                assert json.loads(marker.detail) == {"keyed_from": 4, "rule": "HMAC-SHA256", "unkeyed_entries": 3}
                assert s.get(AuditHead, 1).keyed_from == 4
                assert audit.verify().ok
                audit.record("project.update", None, object_type="project", object_id="P1")
                s.commit()
                assert audit.verify().ok and audit.verify().checked == 5

                def attack(sql: str, expect_seq: int):
                    s.execute(text(sql))
                    result = audit.verify()
                    s.rollback()
                    assert not result.ok and result.bad_seq == expect_seq, (sql, result)

                # an old entry altered and the unkeyed entries after it recomputed: the marker's link breaks
                e2 = SimpleNamespace(**{**vars(old[1]), "username": "mallory"})
                h2 = unkeyed_hash(e2.prev_hash, e2)
                e3 = SimpleNamespace(**{**vars(old[2]), "prev_hash": h2})
                h3 = unkeyed_hash(h2, e3)
                s.execute(text("UPDATE audit_entries SET username='mallory', hash=:h WHERE seq=2"), {"h": h2})
                attack(f"UPDATE audit_entries SET prev_hash='{h2}', hash='{h3}' WHERE seq=3", 4)
                # moving the marker's position in the head, or dropping it, is noticed
                attack("UPDATE audit_head SET keyed_from = 1 WHERE id = 1", 1)
                attack("UPDATE audit_head SET keyed_from = 5 WHERE id = 1", 4)  # the marker is keyed
                attack("UPDATE audit_head SET keyed_from = 99 WHERE id = 1", 4)
                s.execute(text("DELETE FROM audit_entries WHERE seq >= 4"))
                attack(f"UPDATE audit_head SET seq = 3, hash = '{old[2].hash}' WHERE id = 1", 4)
        finally:
            app.extensions["handover.db"].kw["bind"].dispose()
