"""Migration 0006 (issue 13): existing versions get the default chain and the step their
sign-offs put them at; existing sign-offs get their step key; the workflow then goes on."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import command
from sqlalchemy import select, text

from core.db import UTCDateTime
from core.migrate import alembic_config
from migration_support import empty_database

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=timezone.utc)


@contextmanager
def database_at(backend: str, tmp_path, revision: str):
    """An empty database migrated to `revision` only (PostgreSQL: the test database's schema is
    rebuilt and left at head, as the other tests expect)."""
    engine, url = empty_database(backend, tmp_path, "at0005.db")
    cfg = alembic_config(url)

    def to(rev: str) -> None:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, rev)

    to(revision)
    try:
        yield engine, url, lambda: to("head")
    finally:
        if backend == "postgresql":
            to("head")
        engine.dispose()


def _rows(conn):
    def ins(table: str, cols: dict, **rows):
        t = sa.table(table, *(sa.column(c, UTCDateTime() if c.endswith("_at") else None) for c in cols))
        conn.execute(t.insert(), [cols])

    for uid, name, role in ((1, "pm", "pm"), (2, "client", "client"), (3, "eng", "engineer")):
        ins("users", dict(id=uid, username=name, display_name=name.upper(), role=role, organisation="", email="",
                          phone="", password_hash="", active=True, created_at=T0))
    ins("projects", dict(id=1, code="OLD", name="旧项目", client="甲方", vendor="", description="", created_at=T0,
                         fault_seq=0))
    for uid in (1, 2, 3):
        ins("memberships", dict(id=uid, project_id=1, user_id=uid, created_at=T0))
    ins("blobs", dict(sha256="a" * 64, size=1, created_at=T0))
    # d1 fresh; d2 pm approved; d3 signed off; d4 rejected; d5 V1 signed off, V2 approved by the
    # client only (the old free order)
    versions = {1: [(1, [])], 2: [(2, [("pm", "approve")])], 3: [(3, [("pm", "approve"), ("client", "approve")])],
                4: [(4, [("pm", "reject")])], 5: [(5, [("pm", "approve"), ("client", "approve")]),
                                                   (6, [("client", "approve")])]}
    status = {1: "draft", 2: "in_review", 3: "signed_off", 4: "rejected", 5: "in_review"}
    so_id = 0
    for d_id, vs in versions.items():
        latest = vs[-1][0]
        signed = [vid for vid, sos in vs if len([s for s in sos if s[1] == "approve"]) == 2]
        ins("deliverables", dict(id=d_id, project_id=1, kind="document", document_key=f"doc{d_id}", phase="initiation",
                                 position=d_id, period="", title="", status=status[d_id], version_count=len(vs),
                                 latest_version_id=latest, latest_signed_version_id=max(signed) if signed else None,
                                 created_at=T0))
        for n, (vid, sos) in enumerate(vs, 1):
            ins("versions", dict(id=vid, deliverable_id=d_id, number=n, sha256="a" * 64, size=1, filename="a.txt",
                                 content_type="text/plain", note="", source="upload", uploaded_by_id=3, created_at=T0,
                                 signed_off_at=T0 if vid in signed else None))
            for role, decision in sos:
                so_id += 1
                ins("signoffs", dict(id=so_id, version_id=vid, sha256="a" * 64, user_id=1 if role == "pm" else 2,
                                     signer_name=role.upper(), role=role, decision=decision,
                                     meaning="审核" if role == "pm" else "确认", comment="x", created_at=T0))
    if conn.dialect.name == "postgresql":  # rows with explicit ids: move the sequences past them
        for table in ("users", "projects", "memberships", "deliverables", "versions", "signoffs"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 1000)"))


def test_existing_versions_get_the_default_chain_and_their_step(backend, tmp_path, monkeypatch):
    from app import create_app
    from core import db
    from core.models import User
    from deliverables import signoffs, workflow
    from deliverables.models import Deliverable, Signoff, Version
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("HANDOVER_DATA", str(data))
    with database_at(backend, tmp_path, "0005_jobs") as (engine, url, upgrade_to_head):
        with engine.begin() as conn:
            _rows(conn)
        upgrade_to_head()
        app = create_app({"HANDOVER_DATA": str(data), "DATABASE_URL": url, "TESTING": True})
        with app.app_context():
            s = db.session()
            got = {v.id: (v.step_key, v.step_role, v.client_step_at is not None) for v in s.scalars(select(Version))}
            assert got == {1: ("review", "pm", False), 2: ("confirm", "client", True), 3: (None, None, False),
                           4: (None, None, False), 5: (None, None, False), 6: ("review", "pm", False)}
            assert {so.step for so in s.scalars(select(Signoff))} == {"review", "confirm"}
            assert [st.key for st in workflow.chain_of(s.get(Version, 1))] == ["review", "confirm"]
            # the old free order: V2 of doc5 has the client's approval; the pm's completes both steps
            pm = s.get(User, 1)
            signoffs.sign(pm, s.get(Version, 6), "approve", "ok")
            s.commit()
            assert s.get(Deliverable, 5).status == "signed_off" and s.get(Version, 6).step_key is None
            signoffs.sign(s.get(User, 2), s.get(Version, 2), "approve", "ok")
            s.commit()
            assert s.get(Deliverable, 2).status == "signed_off"
