"""Reminders fire once: a reminder's key is written (unique) in the transaction that queues
it, and the scans skip the keys already written. Two workers ticking at once: the second
insert of a key does nothing, and only the tick whose insert took the key queues the notice."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy.dialects import postgresql, sqlite

from core import db
from core.clock import now
from notifications.models import ReminderSent

# Items whose due time passed longer ago than this get no reminder (a project whose
# maintenance start was back-dated would otherwise remind of months of old records at once).
WINDOW = timedelta(days=7)


def once(key: str) -> bool:
    """Take the reminder `key` in the current transaction: True the first time ever, False after."""
    s = db.session()
    insert = postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
    res = s.execute(insert(ReminderSent).values(key=key[:200], at=now()).on_conflict_do_nothing(
        index_elements=["key"]))
    return bool(res.rowcount)
