"""Reminders (run by the SLA tick), each once (notifications.reminders.once): a maintenance
record instance due within the last week that still has no version reminds the project's pm
and engineers; a version waiting at a workflow step past the step's due time (within the last
week) reminds the users who may act on it."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core import db
from core.clock import now
from core.roles import ENGINEER, PM
from deliverables.models import Deliverable, Version
from deliverables.workflow import current_step, users_who_may_act
from notifications.events import project_members, record_overdue, step_overdue
from notifications.models import ReminderSent
from notifications.reminders import WINDOW, once


def remind_overdue_records() -> int:
    """Queue the reminders of record instances that became overdue; returns how many."""
    s = db.session()
    current = now()
    candidates = list(s.scalars(
        select(Deliverable).options(selectinload(Deliverable.project))
        .where(Deliverable.kind == "record", Deliverable.due_at.is_not(None), Deliverable.due_at < current,
               Deliverable.due_at >= current - WINDOW, Deliverable.version_count == 0)
        .order_by(Deliverable.due_at, Deliverable.id)))
    if not candidates:
        return 0
    keys = {f"record:{d.id}": d for d in candidates}
    done = set(s.scalars(select(ReminderSent.key).where(ReminderSent.key.in_(keys))))
    sent = 0
    for key, d in keys.items():
        if key in done or not once(key):
            continue
        record_overdue(d, project_members(d.project_id, (PM, ENGINEER)))
        sent += 1
    return sent


def remind_overdue_steps() -> int:
    """Queue the reminders of latest versions waiting at a step past its due time; returns how many."""
    s = db.session()
    current = now()
    candidates = list(s.scalars(
        select(Version).join(Deliverable, Deliverable.id == Version.deliverable_id)
        .options(selectinload(Version.deliverable).selectinload(Deliverable.project))
        .where(Version.step_index.is_not(None), Version.step_due_at.is_not(None), Version.step_due_at < current,
               Version.step_due_at >= current - WINDOW, Version.id == Deliverable.latest_version_id)
        .order_by(Version.step_due_at, Version.id)))
    if not candidates:
        return 0
    keys = {f"step:{v.id}:{v.step_key}": v for v in candidates}
    done = set(s.scalars(select(ReminderSent.key).where(ReminderSent.key.in_(keys))))
    sent = 0
    for key, v in keys.items():
        step = current_step(v)
        if key in done or step is None or not once(key):
            continue
        step_overdue(v, step, users_who_may_act(v), due_at=v.step_due_at)
        sent += 1
    return sent


def remind_overdue() -> int:
    """Every reminder that is due now (records and workflow steps)."""
    return remind_overdue_records() + remind_overdue_steps()
