"""The worker's sending job: claim pending outbox rows (safe with several workers: a row is
claimed by one UPDATE ... WHERE status = 'pending', committed before anything is sent), send
each as e-mail (SMTP) or to the project's robot, and mark it sent; a failure leaves it pending
with one more attempt and a later next try (back-off), so nothing is lost or sent twice."""
from __future__ import annotations

import logging
import smtplib
import ssl
import uuid
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit
from urllib.request import HTTPRedirectHandler, ProxyHandler, Request, build_opener
from urllib.error import HTTPError

from flask import current_app
from sqlalchemy import select, update

from core import db
from core.clock import now
from notifications.models import OutboxMessage, ProjectWebhook
from notifications.webhooks import accepted, allowed_hosts, payload

log = logging.getLogger("handover.notifications")

BATCH = 50
SMTP_TIMEOUT = 10.0
WEBHOOK_TIMEOUT = 5.0
STALE_CLAIM = timedelta(minutes=10)  # a worker that died while sending: its rows are tried again
BACKOFF_BASE = 30.0
BACKOFF_CAP = 3600.0


class Permanent(Exception):
    """A failure that will not heal by trying again (the row is marked skipped)."""


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after `attempts` failed ones: 30 s, 1, 2, 4 min … at most 1 h."""
    return timedelta(seconds=min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1)))


def _claim(limit: int) -> tuple[str, list[OutboxMessage]]:
    """Claim up to `limit` due rows for this run and commit the claim; returns (token, rows)."""
    s = db.session()
    db.take_write_lock()
    current = now()
    # Rows of a worker that stopped mid-send go back to pending (at most a resend, never a loss).
    s.execute(update(OutboxMessage).where(OutboxMessage.status == "sending",
                                          OutboxMessage.claimed_at < current - STALE_CLAIM)
              .values(status="pending"))
    token = uuid.uuid4().hex
    due = (select(OutboxMessage.id).where(OutboxMessage.status == "pending", OutboxMessage.next_try_at <= current)
           .order_by(OutboxMessage.id).limit(limit))
    s.execute(update(OutboxMessage).where(OutboxMessage.id.in_(due.scalar_subquery()),
                                          OutboxMessage.status == "pending")
              .values(status="sending", claimed_by=token, claimed_at=current)
              .execution_options(synchronize_session=False))
    s.commit()
    rows = list(s.scalars(select(OutboxMessage).where(OutboxMessage.claimed_by == token,
                                                      OutboxMessage.status == "sending")
                          .order_by(OutboxMessage.id)))
    return token, rows


class _Mailer:
    """One SMTP connection for a run, opened on first use and again after a failure."""

    def __init__(self, url: str, sender: str):
        self.url, self.sender, self.conn = urlsplit(url), sender, None

    def _connect(self):
        u = self.url
        if u.scheme not in ("smtp", "smtps") or not u.hostname:
            raise Permanent("HANDOVER_SMTP_URL must be smtp://host:port or smtps://host:port")
        if u.scheme == "smtps":
            conn = smtplib.SMTP_SSL(u.hostname, u.port or 465, timeout=SMTP_TIMEOUT,
                                    context=ssl.create_default_context())
        else:
            conn = smtplib.SMTP(u.hostname, u.port or 25, timeout=SMTP_TIMEOUT)
            conn.ehlo()
            if conn.has_extn("starttls"):
                conn.starttls(context=ssl.create_default_context())
                conn.ehlo()
        if u.username:
            conn.login(unquote(u.username), unquote(u.password or ""))
        return conn

    def send(self, row: OutboxMessage, link: str) -> None:
        msg = EmailMessage()
        msg["Subject"] = row.subject
        msg["From"] = self.sender
        msg["To"] = row.address
        msg["Date"] = formatdate(localtime=False)
        # One Message-ID per outbox row: a receiver can tell a repeat (after a crash) from a new notice.
        msg["Message-ID"] = make_msgid(idstring=f"outbox{row.id}", domain="handover")
        msg.set_content(f"{row.body}\n\n查看：{link}\n\n（此邮件由交付管理系统自动发送，请勿直接回复。）")
        try:
            if self.conn is None:
                self.conn = self._connect()
            self.conn.send_message(msg)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
            self.close()
            codes = [c for c, _ in exc.recipients.values()] if isinstance(exc, smtplib.SMTPRecipientsRefused) \
                else [exc.smtp_code]
            if codes and all(500 <= c < 600 for c in codes):
                raise Permanent(f"refused: {exc}") from exc
            raise
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.quit()
            except Exception:  # already gone: nothing to close politely
                pass
            self.conn = None


class _NoRedirect(HTTPRedirectHandler):
    """A robot that answers with a redirect is not followed (it fails, and is retried later)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _post_webhook(row: OutboxMessage, link: str) -> None:
    hook = db.session().get(ProjectWebhook, row.project_id) if row.project_id is not None else None
    if hook is None:
        raise Permanent("the project has no webhook any more")
    host = (urlsplit(hook.url).hostname or "").lower().rstrip(".")
    if host not in allowed_hosts():
        raise Permanent(f"host {host} is not in HANDOVER_WEBHOOK_HOSTS")
    # No proxies from the environment: the allowed host is the one contacted.
    opener = build_opener(ProxyHandler({}), _NoRedirect)
    req = Request(hook.url, data=payload(hook.kind, row.subject, row.body, link), method="POST",
                  headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with opener.open(req, timeout=WEBHOOK_TIMEOUT) as resp:
            status, answer = resp.status, resp.read(65536)
    except HTTPError as exc:
        status, answer = exc.code, b""
    why = accepted(hook.kind, status, answer)
    if why:
        raise RuntimeError(why)


def send_pending(limit: int = BATCH) -> dict:
    """Send what is due (one run of the job); returns counts. Commits after every row."""
    s = db.session()
    cfg = current_app.config
    base = (cfg.get("HANDOVER_BASE_URL") or "").rstrip("/")
    token, rows = _claim(limit)
    counts = {"sent": 0, "failed": 0, "skipped": 0}
    mailer = _Mailer(cfg.get("HANDOVER_SMTP_URL") or "", cfg.get("HANDOVER_MAIL_FROM") or "handover@localhost")
    try:
        for row in rows:
            link = base + row.path
            try:
                if row.channel == "email":
                    if not cfg.get("HANDOVER_SMTP_URL"):
                        raise Permanent("HANDOVER_SMTP_URL is not set")
                    mailer.send(row, link)
                else:
                    _post_webhook(row, link)
            except Permanent as exc:
                row.status, row.last_error = "skipped", str(exc)[:2000]
                row.attempts += 1
                counts["skipped"] += 1
                log.warning("notice %s to %s skipped: %s", row.id, row.recipient, exc)
            except Exception as exc:
                row.attempts += 1
                row.status, row.claimed_by = "pending", ""
                row.next_try_at = now() + backoff(row.attempts)
                row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                counts["failed"] += 1
                log.warning("notice %s to %s failed (try %d), next at %s: %s", row.id, row.recipient,
                            row.attempts, row.next_try_at.isoformat(), exc)
            else:
                row.status, row.sent_at = "sent", now()
                row.attempts += 1
                counts["sent"] += 1
            s.commit()
    finally:
        mailer.close()
        # Rows not reached (an unexpected stop): back to pending at once.
        s.rollback()
        s.execute(update(OutboxMessage).where(OutboxMessage.claimed_by == token, OutboxMessage.status == "sending")
                  .values(status="pending", claimed_by=""))
        s.commit()
    return counts
