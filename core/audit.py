"""The tamper-evident audit trail: each entry carries a keyed hash (HMAC-SHA256) of itself
and of the previous entry's hash.

The key lives outside the database (HANDOVER_AUDIT_KEY, or $HANDOVER_DATA/audit_key created
0600 at first start), so someone who can write the database but not read the key cannot
rewrite an entry and recompute the chain. Entries written before migration 0004 keep their
old unkeyed sha256; the migration appended an `audit.keyed` marker (itself keyed, so it seals
the old entries through its previous-hash link) and recorded its number in
`audit_head.keyed_from`. `flask audit checkpoint` prints the head for anchoring elsewhere.

Appending locks the single `audit_head` row (UPDATE first, so SQLite takes its write
lock and PostgreSQL a row lock), so concurrent writers form one chain.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flask import Flask, current_app, has_app_context, has_request_context, request
from sqlalchemy import select
from sqlalchemy.orm.util import identity_key

from core import db
from core.clock import now
from core.config import load_config
from core.key_file import shared_random_key
from core.models import AuditEntry, AuditHead, User

GENESIS = "0" * 64
KEY_FILE = "audit_key"
MARKER_ACTION = "audit.keyed"
MIN_KEY_CHARS = 32


def load_key(data_dir: str | Path, configured: str = "") -> bytes:
    """The HMAC key: `configured` (HANDOVER_AUDIT_KEY) or the key file in the data folder,
    created with 0600 on first use. Several processes starting together agree on one key
    (the file appears complete or not at all: written aside, then hard-linked into place)."""
    if configured:
        if len(configured) < MIN_KEY_CHARS:
            raise RuntimeError(f"HANDOVER_AUDIT_KEY must have at least {MIN_KEY_CHARS} characters")
        return configured.encode("utf-8")
    path = Path(data_dir) / KEY_FILE
    text = shared_random_key(path)
    if len(text) < MIN_KEY_CHARS:
        raise RuntimeError(f"{path} holds no usable audit key")
    return text.encode("utf-8")


def init_app(app: Flask) -> None:
    """Load (or create) the key once at start-up."""
    app.extensions["handover.audit_key"] = load_key(app.config["HANDOVER_DATA"],
                                                    app.config.get("HANDOVER_AUDIT_KEY", ""))


def current_key() -> bytes:
    """The key of the running app; outside one (a bare migration) from the environment."""
    if has_app_context() and "handover.audit_key" in current_app.extensions:
        return current_app.extensions["handover.audit_key"]
    cfg = load_config()
    return load_key(cfg["HANDOVER_DATA"], cfg.get("HANDOVER_AUDIT_KEY", ""))


def _payload(prev_hash: str, e) -> bytes:
    return json.dumps([e.seq, e.at.isoformat(), e.user_id, e.username, e.action, e.object_type,
                       e.object_id, e.project_code, e.detail, e.remote_addr, prev_hash],
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def unkeyed_hash(prev_hash: str, e) -> str:
    """The rule before migration 0004 (plain sha256); verified only below `keyed_from`."""
    return hashlib.sha256(_payload(prev_hash, e)).hexdigest()


def keyed_hash(key: bytes, prev_hash: str, e) -> str:
    """HMAC-SHA256 of the entry's fields and the previous hash. `e` needs the entry's
    attributes (an AuditEntry, or any object with them: the migration passes a namespace)."""
    return hmac.new(key, _payload(prev_hash, e), hashlib.sha256).hexdigest()


def record(action: str, user: User | None = None, *, object_type: str = "", object_id: object = "",
           project_code: str = "", **detail) -> AuditEntry:
    """Append one audit entry in the caller's transaction (who, what, when, from where)."""
    return record_many([Pending(action, user, object_type, object_id, project_code, detail)])[0]


@dataclass
class Pending:
    """An entry to append (record_many): what record() takes, as one value."""
    action: str
    user: User | None = None
    object_type: str = ""
    object_id: object = ""
    project_code: str = ""
    detail: dict = field(default_factory=dict)


def record_many(items: list[Pending]) -> list[AuditEntry]:
    """Append `items` in order, in the caller's transaction, as consecutive links of the chain:
    one UPDATE of the head reserves their numbers (and locks it, as record() does), their
    keyed hashes are chained here, then their INSERT and the head's new hash. The
    chain verifies exactly as if each had been recorded alone (the bulk import's batches)."""
    if not items:
        return []
    s = db.session()
    head_t = AuditHead.__table__
    row = s.execute(head_t.update().where(head_t.c.id == 1).values(seq=head_t.c.seq + len(items))
                    .returning(head_t.c.seq, head_t.c.hash)).first()
    if row is None:
        s.add(AuditHead(id=1, seq=len(items), hash=GENESIS, keyed_from=1))
        s.flush()
        last_seq, prev = len(items), GENESIS
    else:
        last_seq, prev = row.seq, row.hash
    # The peer's address; behind a configured proxy ProxyFix has already put the client's there
    # (HANDOVER_TRUSTED_PROXIES), otherwise a caller's X-Forwarded-For claim is ignored.
    addr = ((request.remote_addr or "") if has_request_context() else "cli")[:64]
    at = now().replace(microsecond=0)
    key = current_key()
    entries = []
    for seq, it in enumerate(items, last_seq - len(items) + 1):
        u = it.user
        entry = AuditEntry(seq=seq, at=at, user_id=u.id if u else None, username=u.username if u else "",
                           action=it.action, object_type=it.object_type, object_id=str(it.object_id),
                           project_code=it.project_code,
                           detail=json.dumps(it.detail, ensure_ascii=False, sort_keys=True, default=str),
                           remote_addr=addr, prev_hash=prev)
        entry.hash = prev = keyed_hash(key, prev, entry)
        entries.append(entry)
    s.add_all(entries)
    s.execute(head_t.update().where(head_t.c.id == 1).values(hash=prev))
    cached = s.identity_map.get(identity_key(AuditHead, 1))
    if cached is not None:  # the Core UPDATEs bypassed the session: reload on next access
        s.expire(cached)
    s.flush()
    return entries


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    bad_seq: int | None = None
    reason: str = ""


def _is_marker(e: AuditEntry, keyed_from: int) -> bool:
    try:
        detail = json.loads(e.detail)
    except ValueError:
        return False
    return e.action == MARKER_ACTION and isinstance(detail, dict) and detail.get("keyed_from") == keyed_from


def verify(anchors: dict[int, str] | None = None) -> VerifyResult:
    """Walk the chain in order; name the first entry altered, removed, reordered or rewritten
    without the key. `anchors` ({seq: hash}, from earlier checkpoints) must still match."""
    s = db.session()
    key = current_key()
    fresh = {"populate_existing": True}  # what the database holds now, not this session's copies
    head = s.get(AuditHead, 1, populate_existing=True)
    keyed_from = max(1, head.keyed_from) if head is not None else 1
    anchors = dict(anchors or {})
    prev, expected_seq, count = GENESIS, 1, 0
    for e in s.scalars(select(AuditEntry).order_by(AuditEntry.seq).execution_options(**fresh)):
        count += 1
        if e.seq != expected_seq:
            return VerifyResult(False, count, expected_seq, f"entry {expected_seq} is missing (next is {e.seq})")
        if e.prev_hash != prev:
            return VerifyResult(False, count, e.seq, "previous-hash link broken (removed or reordered entry)")
        if e.seq < keyed_from:
            if unkeyed_hash(prev, e) != e.hash:
                return VerifyResult(False, count, e.seq, "content does not match its hash (altered entry)")
        elif not hmac.compare_digest(keyed_hash(key, prev, e), e.hash):
            return VerifyResult(False, count, e.seq, "content does not match its keyed hash (altered entry, "
                                                     "or a chain rewritten without the audit key)")
        if e.seq == keyed_from > 1 and not _is_marker(e, keyed_from):
            return VerifyResult(False, count, e.seq, f"entry {e.seq} is not the '{MARKER_ACTION}' marker "
                                                     "the head names")
        if e.seq in anchors and anchors.pop(e.seq) != e.hash:
            return VerifyResult(False, count, e.seq, "hash differs from the anchored checkpoint")
        prev, expected_seq = e.hash, expected_seq + 1
    last = expected_seq - 1
    if head is None:
        if count:
            return VerifyResult(False, count, 1, "the chain's head record is missing")
        return VerifyResult(True, 0)
    if head.seq != last or head.hash != prev:
        return VerifyResult(False, count, expected_seq, "entries after the last one found were removed")
    if keyed_from > 1 and keyed_from > last:
        return VerifyResult(False, count, keyed_from, f"the '{MARKER_ACTION}' marker (entry {keyed_from}) "
                                                      "the head names is missing")
    if anchors:
        seq = min(anchors)
        return VerifyResult(False, count, seq, "the anchored checkpoint entry is missing")
    return VerifyResult(True, count)


@dataclass
class Checkpoint:
    seq: int
    hash: str
    at: datetime | None


def checkpoint() -> Checkpoint:
    """The chain's head (last entry number, its hash, its time) to be kept elsewhere."""
    s = db.session()
    head = s.get(AuditHead, 1)
    if head is None or head.seq == 0:
        return Checkpoint(0, GENESIS, None)
    at = s.scalar(select(AuditEntry.at).where(AuditEntry.seq == head.seq))
    return Checkpoint(head.seq, head.hash, at)
