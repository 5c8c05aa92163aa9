"""The SLA tick: escalate overdue faults (telling pm and client), create the record instances
of the current periods and remind of records and steps past their due time (once). Run every minute
by the worker (jobs) and by `flask sla tick`; idempotent and safe with several workers at once
(escalations, instances and reminder keys are written under row locks and unique keys, so a
second tick finds nothing left to do)."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import select

from core import db
from core.clock import iso
from maintenance.faults import needs_sync, open_faults, sync_escalations
from maintenance.labels import fault_ref
from maintenance.records import materialize
from maintenance.reminders import remind_overdue
from projects.models import Project

log = logging.getLogger("handover")


@dataclass
class TickReport:
    escalated: int = 0
    created: int = 0
    reminded: int = 0
    lines: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # project code -> what failed


def _isolated(s, failed: dict, code: str, what: str, work):
    """Run `work()` in a savepoint: an error undoes only that work, is logged, and names the
    project in `failed`; the rest of the tick carries on. Returns work()'s result or None."""
    try:
        with s.begin_nested():
            return work()
    except Exception as exc:  # one project must never stop escalation for the others
        log.exception("sla tick: %s failed for project %s", what, code)
        failed.setdefault(code, f"{what}: {type(exc).__name__}: {str(exc)[:200]}")
        return None


def run_tick() -> TickReport:
    """One tick over every project; flushes, the caller commits. Ticks run one after the
    other (the write lock is taken first), so two ticks at once both succeed."""
    s = db.session()
    # Scan before taking the write lock (pysqlite starts the transaction at its first write, so
    # these reads hold nothing): on SQLite the lock is then held only to sync the faults that are
    # out of date, not for a scan of every open fault (minutes with thousands, while every login,
    # upload and sign waited). A fault that falls due meanwhile is the next tick's.
    due = [fault for fault in open_faults() if needs_sync(fault)]
    db.take_write_lock()
    report = TickReport()
    for fault in due:
        s.expire(fault)  # re-read under the lock: a request may have changed it since the scan
        code = fault.project.code
        steps = _isolated(s, report.failed, code, f"escalating fault {fault.id}",
                          lambda: sync_escalations(fault)) or []
        for step in steps:
            report.escalated += 1
            report.lines.append(f"escalated {fault_ref(code, fault.number)} (fault {fault.id}) "
                                f"level {step.from_level} -> {step.to_level} at {iso(step.at)}")
    projects = s.execute(select(Project.id, Project.code).where(Project.maintenance_start.is_not(None))
                         .order_by(Project.code)).all()
    for project_id, code in projects:
        n = _isolated(s, report.failed, code, "creating record instances",
                      lambda: materialize(s.get(Project, project_id))) or 0
        if n:
            report.lines.append(f"created {n} record instance(s) for {code}")
        report.created += n
    # Reminders of records and workflow steps past their due time, each once (keys written with the notices).
    report.reminded = _isolated(s, report.failed, "*", "queueing reminders", remind_overdue) or 0
    return report
