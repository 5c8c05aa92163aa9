"""`flask notifications status`: what the outbox holds (an admin sees notices that keep failing)."""
from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select

from core import db
from core.clock import iso
from notifications.models import OutboxMessage

notifications_cli = AppGroup("notifications", help="Notification outbox: e-mail and group-robot messages.")


@notifications_cli.command("status")
@click.option("--limit", default=20, show_default=True, help="How many waiting or skipped notices to list.")
@with_appcontext
def status_command(limit):
    """Count the outbox by status and list the notices still waiting or skipped, with their last error."""
    s = db.session()
    counts = dict(s.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())
    click.echo(", ".join(f"{k}: {counts.get(k, 0)}" for k in ("pending", "sending", "sent", "skipped")))
    rows = s.scalars(select(OutboxMessage).where(OutboxMessage.status.in_(("pending", "sending", "skipped")))
                     .order_by(OutboxMessage.id).limit(limit))
    for r in rows:
        click.echo(f"#{r.id} {r.status} {r.channel} {r.recipient} tries={r.attempts} next={iso(r.next_try_at)} "
                   f"{r.subject} {('· ' + r.last_error) if r.last_error else ''}".rstrip())
