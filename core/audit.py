"""The tamper-evident audit trail: each entry carries the hash of the previous one.

Appending locks the single `audit_head` row (UPDATE first, so SQLite takes its write
lock and PostgreSQL a row lock), so concurrent writers form one chain.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from flask import has_request_context, request
from sqlalchemy import select, update

from core import db
from core.clock import now
from core.models import AuditEntry, AuditHead, User

GENESIS = "0" * 64


def _entry_hash(prev_hash: str, e: AuditEntry) -> str:
    payload = json.dumps([e.seq, e.at.isoformat(), e.user_id, e.username, e.action, e.object_type,
                          e.object_id, e.project_code, e.detail, e.remote_addr, prev_hash],
                         ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def record(action: str, user: User | None = None, *, object_type: str = "", object_id: object = "",
           project_code: str = "", **detail) -> AuditEntry:
    """Append one audit entry in the caller's transaction (who, what, when, from where)."""
    s = db.session()
    s.flush()
    res = s.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1))
    if res.rowcount == 0:
        s.add(AuditHead(id=1, seq=1, hash=GENESIS))
        s.flush()
    head = s.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one()
    addr = (request.headers.get("X-Forwarded-For", request.remote_addr or "") if has_request_context() else "cli")
    entry = AuditEntry(seq=head.seq, at=now().replace(microsecond=0), user_id=user.id if user else None,
                       username=user.username if user else "", action=action, object_type=object_type,
                       object_id=str(object_id), project_code=project_code,
                       detail=json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str),
                       remote_addr=(addr or "")[:64], prev_hash=head.hash)
    entry.hash = _entry_hash(head.hash, entry)
    s.add(entry)
    s.execute(update(AuditHead).where(AuditHead.id == 1).values(hash=entry.hash))
    s.flush()
    return entry


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    bad_seq: int | None = None
    reason: str = ""


def verify() -> VerifyResult:
    """Walk the chain in order; name the first entry altered, removed or reordered."""
    s = db.session()
    prev, expected_seq, count = GENESIS, 1, 0
    for e in s.scalars(select(AuditEntry).order_by(AuditEntry.seq)):
        count += 1
        if e.seq != expected_seq:
            return VerifyResult(False, count, expected_seq, f"entry {expected_seq} is missing (next is {e.seq})")
        if e.prev_hash != prev:
            return VerifyResult(False, count, e.seq, "previous-hash link broken (removed or reordered entry)")
        if _entry_hash(prev, e) != e.hash:
            return VerifyResult(False, count, e.seq, "content does not match its hash (altered entry)")
        prev, expected_seq = e.hash, expected_seq + 1
    head = s.get(AuditHead, 1)
    if head is not None and (head.seq != expected_seq - 1 or head.hash != prev):
        return VerifyResult(False, count, expected_seq, "entries after the last one found were removed")
    return VerifyResult(True, count)
