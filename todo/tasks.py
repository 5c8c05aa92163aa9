"""A user's tasks (GET /api/me/tasks, the home page's 待办), in a constant number of queries.

Kinds (shared/API.md):
- sign: the latest version of a deliverable waiting at a step the user may act on
  (deliverables.workflow.waiting_for);
- revise: the latest version of a deliverable the user uploaded was rejected (with the comment);
- record: a record instance without a version, due by the end of this week or overdue, for the
  vendor's people (pm, engineer) of the project;
- fault: an open fault waiting for the user's side: the vendor (pm, engineer) until it is
  restored (due: respond_by, then restore_by), the client once restored (to close it).
Sorted: overdue first, then by due time, then those without one. One statement per kind.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from core import db
from core.clock import iso, local_tz, now
from core.models import User
from core.roles import CLIENT, ENGINEER, PM
from deliverables.labels import display_name
from deliverables.models import Deliverable, Signoff, Version
from deliverables.workflow import waiting_for
from maintenance.labels import fault_ref, fault_stage
from maintenance.models import Fault
from projects.models import Membership, Project

KINDS = ("sign", "revise", "record", "fault")
VENDOR = (PM, ENGINEER)


@dataclass
class Task:
    kind: str
    project: str
    title: str
    due_at: datetime | None = None
    deliverable_id: int | None = None
    version_id: int | None = None
    fault_id: int | None = None
    step: dict | None = None
    comment: str | None = None
    number: int | None = None
    stage: str | None = None     # a fault's maintenance.labels.fault_stage

    def overdue(self, at: datetime) -> bool:
        return self.due_at is not None and self.due_at < at


def end_of_week(at: datetime) -> datetime:
    """The end of the local week (Sunday 24:00) of `at`."""
    local = at.astimezone(local_tz())
    monday = local.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=local.weekday())
    return monday + timedelta(days=7)


def tasks_for(user: User) -> list[Task]:
    """Every task of `user` (see the module docstring); four SQL statements at most."""
    at = now()
    s = db.session()
    member = select(Membership.project_id).where(Membership.user_id == user.id)
    out: list[Task] = []
    # sign
    q = waiting_for(user).add_columns(Deliverable, Project.code).join(Project, Project.id == Deliverable.project_id)
    for v, d, code in s.execute(q):
        out.append(Task("sign", code, f"{display_name(d)} V{v.number}", v.step_due_at, d.id, v.id, number=v.number,
                        step={"key": v.step_key, "name_zh": v.step_name, "role": v.step_role}))
    # revise: my latest version rejected (its rejection comment)
    q = (select(Version, Deliverable, Project.code, Signoff.comment)
         .join(Deliverable, Deliverable.latest_version_id == Version.id)
         .join(Project, Project.id == Deliverable.project_id)
         .join(Signoff, (Signoff.version_id == Version.id) & (Signoff.decision == "reject"))
         .where(Version.uploaded_by_id == user.id, Deliverable.status == "rejected",
                Deliverable.project_id.in_(member)))
    for v, d, code, comment in s.execute(q):
        out.append(Task("revise", code, f"{display_name(d)} V{v.number}", None, d.id, v.id, number=v.number,
                        comment=comment))
    if user.role in VENDOR:
        q = (select(Deliverable, Project.code).join(Project, Project.id == Deliverable.project_id)
             .where(Deliverable.kind == "record", Deliverable.version_count == 0, Deliverable.due_at.is_not(None),
                    Deliverable.due_at < end_of_week(at), Deliverable.project_id.in_(member)))
        for d, code in s.execute(q):
            out.append(Task("record", code, display_name(d), d.due_at, d.id))
    sides = {"open": VENDOR, "restored": (CLIENT,)}
    statuses = [st for st, roles in sides.items() if user.role in roles]
    if statuses:
        q = (select(Fault, Project.code).join(Project, Project.id == Fault.project_id)
             .where(Fault.status.in_(statuses), Fault.project_id.in_(member)))
        for f, code in s.execute(q):
            due = None if f.status == "restored" else (f.restore_by if f.responded_at else f.respond_by)
            out.append(Task("fault", code, f"{fault_ref(code, f.number)} {f.title}", due, fault_id=f.id,
                            stage=fault_stage(f)))
    far = datetime.max.replace(tzinfo=at.tzinfo)
    out.sort(key=lambda t: (not t.overdue(at), t.due_at or far, KINDS.index(t.kind), t.project, t.title))
    return out


def task_json(t: Task) -> dict:
    """The API shape (shared/API.md), optional keys only when they apply."""
    out = {"kind": t.kind, "project": t.project, "title": t.title, "due_at": iso(t.due_at)}
    for name in ("deliverable_id", "version_id", "fault_id", "stage", "step", "comment", "number"):
        value = getattr(t, name)
        if value is not None:
            out[name] = value
    return out
