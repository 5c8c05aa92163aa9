"""server-side sessions, login throttle, keyed audit chain (issue 11)

- `sessions`: one row per logged-in browser (the cookie holds a random id, the row its sha256).
- `throttle_counters`: the password throttle's expiring counters (embedded default store).
- API tokens of users who are inactive now are revoked (a reactivation must not revive them).
- `audit_head.keyed_from`: entries before it keep their unkeyed sha256. On a database with
  entries this migration appends an `audit.keyed` marker entry, hashed with the audit key
  (HANDOVER_AUDIT_KEY or $HANDOVER_DATA/audit_key), whose link to the previous hash seals the
  old entries; every later entry is HMAC-keyed. An empty database is keyed from entry 1.

Revision ID: 0004_sessions_audit
Revises: 0003_text_extraction
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from types import SimpleNamespace

from alembic import op
import sqlalchemy as sa

import core.db

revision = "0004_sessions_audit"
down_revision = "0003_text_extraction"
branch_labels = None
depends_on = None

MARKER_ACTION = "audit.keyed"  # core.audit.MARKER_ACTION, as of this revision


def _key_the_audit_chain(conn) -> None:
    from core.audit import GENESIS, current_key, keyed_hash  # only a database with entries needs the key
    last = conn.execute(sa.text("SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1")).first()
    if last is None:
        return  # nothing written yet: keyed from entry 1 (the column's default)
    head = conn.execute(sa.text("SELECT seq, hash FROM audit_head WHERE id = 1")).first()
    prev_seq, prev_hash = (head.seq, head.hash) if head is not None else (last.seq, last.hash or GENESIS)
    seq = prev_seq + 1
    marker = SimpleNamespace(
        seq=seq, at=datetime.now(timezone.utc).replace(microsecond=0), user_id=None, username="",
        action=MARKER_ACTION, object_type="audit", object_id="", project_code="",
        detail=json.dumps({"keyed_from": seq, "rule": "HMAC-SHA256", "unkeyed_entries": seq - 1},
                          ensure_ascii=False, sort_keys=True),
        remote_addr="migration 0004", prev_hash=prev_hash)
    marker.hash = keyed_hash(current_key(), prev_hash, marker)
    entries = sa.table("audit_entries", *(sa.column(c) for c in (
        "seq", "user_id", "username", "action", "object_type", "object_id", "project_code", "detail",
        "remote_addr", "prev_hash", "hash")), sa.column("at", core.db.UTCDateTime()))
    conn.execute(entries.insert().values({k: getattr(marker, k) for k in (
        "seq", "at", "user_id", "username", "action", "object_type", "object_id", "project_code", "detail",
        "remote_addr", "prev_hash", "hash")}))
    if head is None:
        conn.execute(sa.text("INSERT INTO audit_head (id, seq, hash, keyed_from) VALUES (1, :s, :h, :s)"),
                     {"s": seq, "h": marker.hash})
    else:
        conn.execute(sa.text("UPDATE audit_head SET seq = :s, hash = :h, keyed_from = :s WHERE id = 1"),
                     {"s": seq, "h": marker.hash})


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
    )
    op.create_index(op.f("ix_sessions_user_id"), "sessions", ["user_id"], unique=False)
    op.create_table(
        "throttle_counters",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_throttle_counters")),
    )
    op.create_index(op.f("ix_throttle_counters_expires_at"), "throttle_counters", ["expires_at"], unique=False)
    op.add_column("audit_head", sa.Column("keyed_from", sa.Integer(), nullable=False, server_default="1"))

    conn = op.get_bind()
    tokens = sa.table("api_tokens", sa.column("user_id"), sa.column("revoked_at", core.db.UTCDateTime()))
    users = sa.table("users", sa.column("id"), sa.column("active", sa.Boolean()))
    conn.execute(tokens.update()
                 .where(tokens.c.revoked_at.is_(None),
                        tokens.c.user_id.in_(sa.select(users.c.id).where(users.c.active.is_(False))))
                 .values(revoked_at=datetime.now(timezone.utc)))
    _key_the_audit_chain(conn)


def downgrade() -> None:
    # An `audit.keyed` marker written by upgrade stays: it cannot be un-keyed.
    with op.batch_alter_table("audit_head") as batch:
        batch.drop_column("keyed_from")
    op.drop_index(op.f("ix_throttle_counters_expires_at"), table_name="throttle_counters")
    op.drop_table("throttle_counters")
    op.drop_index(op.f("ix_sessions_user_id"), table_name="sessions")
    op.drop_table("sessions")
