"""Maintenance alerts of many projects at once (the portfolio): open faults and overdue records.

A fixed number of queries whatever the number of projects, faults or records: per project the
counts, plus only the few items a page shows (the `limit` most recent open faults, the `limit`
overdue records due last), picked in SQL with a window function, never loaded all.
"""
from __future__ import annotations

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import selectinload

from core import db
from core.clock import now
from deliverables.models import Deliverable, Version
from maintenance.models import Fault, FaultEscalation
from maintenance.records import describe
from projects.models import Project


def _overdue_condition(project_ids: list[int]):
    """THE overdue rule of records.record_status in SQL: due_at passed and no version yet."""
    return and_(Deliverable.project_id.in_(project_ids), Deliverable.kind == "record",
                Deliverable.due_at.is_not(None), Deliverable.due_at < now(),
                ~exists().where(Version.deliverable_id == Deliverable.id))


def alerts_by_project(projects: list[Project], limit: int = 3) -> dict[int, dict]:
    """{project id: {"faults": the `limit` newest open faults, "fault_count": all open ones,
    "records": the `limit` overdue records due last (oldest first), "record_count": all overdue}}
    for `projects`; records only for projects in maintenance. Read only."""
    out = {p.id: {"faults": [], "fault_count": 0, "records": [], "record_count": 0} for p in projects}
    ids = [p.id for p in projects]
    if not ids:
        return out
    s = db.session()
    open_faults = and_(Fault.project_id.in_(ids), Fault.status == "open")
    for pid, n in s.execute(select(Fault.project_id, func.count()).where(open_faults).group_by(Fault.project_id)):
        out[pid]["fault_count"] = n
    rank = func.row_number().over(partition_by=Fault.project_id, order_by=Fault.number.desc()).label("rank")
    top = select(Fault.id, rank).where(open_faults).subquery()
    for f in s.scalars(select(Fault).join(top, top.c.id == Fault.id).where(top.c.rank <= limit)
                       .options(selectinload(Fault.events)).order_by(Fault.project_id, Fault.number.desc())):
        out[f.project_id]["faults"].append(f)

    in_maintenance = [p.id for p in projects if p.maintenance_start]
    if in_maintenance:
        overdue = _overdue_condition(in_maintenance)
        for pid, n in s.execute(select(Deliverable.project_id, func.count()).where(overdue)
                                .group_by(Deliverable.project_id)):
            out[pid]["record_count"] = n
        rank = func.row_number().over(
            partition_by=Deliverable.project_id,
            order_by=(Deliverable.due_at.desc(), Deliverable.position.desc(), Deliverable.period.desc())).label("rank")
        last = select(Deliverable.id, rank).where(overdue).subquery()
        items = list(s.scalars(select(Deliverable).join(last, last.c.id == Deliverable.id).where(last.c.rank <= limit)))
        items.sort(key=lambda d: (d.due_at, d.position, d.period))
        for item in describe(items):
            out[item.deliverable.project_id]["records"].append(item)
    return out


def breached_condition(at):
    """SQL twin of maintenance.faults.breaches (respond or restore breached) over the stored
    deadlines as of `at`: responded late or unanswered past respond_by; restored late or open
    past restore_by, or escalated at least once (an escalation happens only when the first
    restore deadline passed without a restore). The tick and every fault change keep the
    stored deadlines equal to live_state; tests/test_portfolio_register.py checks the twins agree."""
    respond = or_(Fault.responded_at > Fault.respond_by, and_(Fault.responded_at.is_(None), Fault.respond_by < at))
    restore = or_(exists().where(FaultEscalation.fault_id == Fault.id), Fault.restored_at > Fault.restore_by,
                  and_(Fault.restored_at.is_(None), Fault.restore_by < at))
    return or_(respond, restore)


def counts_by_project(projects: list[Project], within=None) -> dict[int, dict]:
    """{project id: {"open_faults", "sla_breaches" (faults, ever, whose respond or restore
    deadline was missed: reports.sla_report's `missed`), "overdue_records"}} for the portfolio
    table; two queries whatever the number of projects, faults or records. `within`: a select of
    the same projects' ids, used in SQL instead of the list of ids. Read only."""
    out = {p.id: {"open_faults": 0, "sla_breaches": 0, "overdue_records": 0} for p in projects}
    ids = within if within is not None else [p.id for p in projects]
    if not projects:
        return out
    s = db.session()
    q = (select(Fault.project_id, func.sum(case((Fault.status == "open", 1), else_=0)),
                func.sum(case((breached_condition(now()), 1), else_=0)))
         .where(Fault.project_id.in_(ids)).group_by(Fault.project_id))
    for pid, n_open, n_breached in s.execute(q):
        out[pid]["open_faults"], out[pid]["sla_breaches"] = int(n_open or 0), int(n_breached or 0)
    if any(p.maintenance_start for p in projects):
        in_maintenance = (select(Project.id).where(Project.id.in_(within), Project.maintenance_start.is_not(None))
                          if within is not None else [p.id for p in projects if p.maintenance_start])
        for pid, n in s.execute(select(Deliverable.project_id, func.count()).where(_overdue_condition(in_maintenance))
                                .group_by(Deliverable.project_id)):
            out[pid]["overdue_records"] = n
    return out
