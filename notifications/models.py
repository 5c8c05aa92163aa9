"""The notification outbox, each user's choice of notices, a project's group-robot webhook
and the reminders already sent (so a reminder fires once)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime

OUTBOX_STATUSES = ("pending", "sending", "sent", "skipped")


class OutboxMessage(Base):
    """One notice to send: event × recipient × channel, written in the transaction of the
    event (unique, so an event is never queued twice), sent by the worker.

    `recipient` is "user:<id>" (channel email, `address` the e-mail address at the event)
    or "project:<id>" (channel webhook: the project's robot as set when it is sent)."""
    __tablename__ = "notification_outbox"
    __table_args__ = (UniqueConstraint("event_key", "recipient", "channel"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_key: Mapped[str] = mapped_column(String(200))
    recipient: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    project_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    path: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    claimed_by: Mapped[str] = mapped_column(String(64), default="")
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class NoticePreference(Base):
    """A user's choice for one kind of notice (no row: wanted)."""
    __tablename__ = "notice_preferences"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class ProjectWebhook(Base):
    """A project's group robot (企业微信, 钉钉 or 飞书): its kind and URL (never shown in full)."""
    __tablename__ = "project_webhooks"
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(1000))
    updated_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReminderSent(Base):
    """A reminder already given ("record:<deliverable id>", "step:<version id>:<step key>"):
    the reminder scan skips it, so each reminder fires once whatever the number of ticks."""
    __tablename__ = "notification_reminders"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
