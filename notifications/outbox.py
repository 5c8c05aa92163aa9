"""Writing notices to the outbox, in the caller's transaction: one row per event ×
recipient × channel, a unique key so an event is never queued twice, and a kick of the
sending job once the transaction commits (the worker's periodic run is the fallback)."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable, Iterable

from flask import current_app
from sqlalchemy import event, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from core import db
from core.clock import now
from core.models import User
from notifications.models import NoticePreference, OutboxMessage, ProjectWebhook

log = logging.getLogger("handover.notifications")

# The kinds of notice a user may switch off on the 个人设置 page (zh labels: web texts).
KINDS = ("sign", "rejected", "fault", "escalation", "reminder")
SEND_JOB = "notify_send"


def email_enabled() -> bool:
    """E-mail is sent only when HANDOVER_SMTP_URL is set; without it no e-mail row is queued."""
    return bool(current_app.config.get("HANDOVER_SMTP_URL"))


def wanted_recipients(users: Iterable[User], kind: str) -> list[User]:
    """The active users with an address who did not switch `kind` off (each once)."""
    by_id = {u.id: u for u in users if u is not None and u.active and (u.email or "").strip()}
    if not by_id:
        return []
    off = set(db.session().scalars(select(NoticePreference.user_id).where(
        NoticePreference.user_id.in_(by_id), NoticePreference.kind == kind, NoticePreference.enabled.is_(False))))
    return [u for uid, u in sorted(by_id.items()) if uid not in off]


def has_webhook(project_id: int | None) -> bool:
    """Whether the project has a robot (webhook) that is told of its events."""
    return project_id is not None and db.session().get(ProjectWebhook, project_id) is not None


def listening(project_id: int | None) -> bool:
    """Whether a notice of this project would reach anyone (e-mail set up, or the project's
    robot): when not, callers may skip working out the recipients; queue() writes nothing."""
    return email_enabled() or has_webhook(project_id)


def queue(event_key: str, kind: str, project_id: int | None, users: Iterable[User] | Callable[[], Iterable[User]],
          subject: str, body: str, path: str, at: datetime | None = None) -> int:
    """Queue the notice of one event: an e-mail to each wanted user (when SMTP is set) and
    one message to the project's robot (when it has one). Duplicates of an already queued
    (event, recipient, channel) are ignored. Flushed in the caller's transaction, never
    committed here. Returns the number of rows offered. `users` may be a function giving
    them, called only when e-mail is sent (who may act costs queries nobody needs otherwise)."""
    s = db.session()
    current = at or now()
    base = dict(event_key=event_key[:200], kind=kind, project_id=project_id, subject=subject[:300], body=body,
                path=path[:500], status="pending", attempts=0, next_try_at=current, claimed_by="",
                last_error="", created_at=current)
    rows = []
    if email_enabled():
        for u in wanted_recipients(users() if callable(users) else users, kind):
            rows.append(base | dict(recipient=f"user:{u.id}", channel="email", user_id=u.id,
                                    address=u.email.strip()[:300]))
    if has_webhook(project_id):
        rows.append(base | dict(recipient=f"project:{project_id}", channel="webhook", user_id=None, address=""))
    if not rows:
        return 0
    insert = postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
    s.execute(insert(OutboxMessage).values(rows).on_conflict_do_nothing(
        index_elements=["event_key", "recipient", "channel"]))
    _kick_after_commit(s)
    return len(rows)


def _kick_after_commit(s) -> None:
    """Once the transaction commits, queue the sending job (best effort: the worker also
    runs it every minute, so a queue that is down delays a notice, never loses it)."""
    if s.info.get("notify_kick"):
        return
    s.info["notify_kick"] = True
    app = current_app._get_current_object()

    def kick(session):
        session.info.pop("notify_kick", None)
        task = app.extensions.get("huey_tasks", {}).get(SEND_JOB)
        if task is None:
            return
        try:
            task()
        except Exception:  # the periodic run sends it; the notice is safe in the outbox
            log.warning("could not queue %s after commit", SEND_JOB, exc_info=True)

    event.listen(s, "after_commit", kick, once=True)


def withdraw(event_prefix: str, reason: str) -> None:
    """Withdraw the notices of events whose key starts with `event_prefix` that are still
    pending (not being sent, not sent): what they announce is no longer true (a version that
    was superseded or moved on before the worker sent "waiting for you"). In the caller's
    transaction, like queue."""
    withdraw_many([event_prefix], reason)


def withdraw_many(event_prefixes: Iterable[str], reason: str) -> None:
    """withdraw() for several event prefixes in one UPDATE (a batch of new versions
    superseding the ones waiting before them)."""
    prefixes = list(dict.fromkeys(event_prefixes))
    if not prefixes:
        return
    db.session().execute(
        update(OutboxMessage)
        .where(or_(*(OutboxMessage.event_key.startswith(p, autoescape=True) for p in prefixes)),
               OutboxMessage.status == "pending")
        .values(status="skipped", last_error=reason[:200])
        .execution_options(synchronize_session=False))
