"""Recurring maintenance records: the schedule from the catalog's rhythms, idempotent
materialisation as Deliverable rows (kind 'record'), and THE status rule.

Periods: weekly "2026-W47" (ISO week, due on the catalog's weekday at due_time),
monthly "2026-11" (due the last working day at due_time), once "once" (due
maintenance_start + due_days at due_time), on demand "E001", "E002", ... (no due date).
A scheduled period exists when its due day is on or after maintenance_start and the
period has begun (up to the current period, in HANDOVER_TZ). Nothing while
maintenance_start is unset. Periods due more than LOOKBACK_DAYS before today are not
created (a bound on the work of one call, whatever maintenance_start says; the tick
creates every period in time), and rows are inserted in batches.

Who creates instances: the SLA tick (maintenance.tick, every minute in the worker) and the
request that sets or changes a project's maintenance_start. Reading (`list_records`) never
writes.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from catalog import RecordType, get_catalog
from core import audit, db
from core.clock import local_tz, now
from core.errors import UserValueError
from core.models import User
from deliverables.doc_numbers import record_doc_no
from deliverables.models import Deliverable, Version
from projects.models import Project
from projects.permissions import may_create_record, require

RECORD_PHASE = "maintenance"
RECORD_STATUSES = ("due", "submitted", "late", "overdue")
LOOKBACK_DAYS = 732     # at most ~2 years of scheduled periods per record type
INSERT_BATCH = 200      # rows per INSERT (well under SQLite's and PostgreSQL's parameter limits)


@dataclass(frozen=True)
class Slot:
    period: str
    title: str
    due_at: datetime | None


@dataclass(frozen=True)
class RecordItem:
    deliverable: Deliverable
    record_key: str
    name_zh: str
    status: str
    submitted_at: datetime | None


def record_status(due_at: datetime | None, first_version_at: datetime | None, at: datetime) -> str:
    """THE status rule: submitted / late once a version exists (by its first version's
    time against due_at), else due until due_at passes, then overdue. No due_at: due, then submitted."""
    if first_version_at is not None:
        return "submitted" if due_at is None or first_version_at <= due_at else "late"
    return "due" if due_at is None or at <= due_at else "overdue"


def _due(day: date, rt: RecordType, tz: ZoneInfo) -> datetime:
    hh, mm = (int(x) for x in (rt.due_time or "18:00").split(":"))
    return datetime.combine(day, time(hh, mm), tzinfo=tz).astimezone(ZoneInfo("UTC"))


def last_workday(year: int, month: int) -> date:
    cat = get_catalog()
    day = date(year, month, calendar.monthrange(year, month)[1])
    while not cat.is_workday(day):
        day -= timedelta(days=1)
    return day


def schedule(rt: RecordType, start: date, today: date, tz: ZoneInfo, since: date | None = None) -> list[Slot]:
    """The scheduled periods of one record type from `start` up to the period containing `today`;
    with `since`, only periods due on or after it (the "once" period always)."""
    slots: list[Slot] = []
    first = max(start, since) if since else start
    if rt.rhythm == "weekly":
        monday = first - timedelta(days=first.weekday())
        while monday <= today:
            y, w, _ = monday.isocalendar()
            due_day = date.fromisocalendar(y, w, rt.due_weekday or 5)
            if due_day >= first:
                period = f"{y}-W{w:02d}"
                title = f"{rt.name_zh} {period}（{monday.isoformat()} 至 {(monday + timedelta(days=6)).isoformat()}）"
                slots.append(Slot(period, title, _due(due_day, rt, tz)))
            monday += timedelta(days=7)
    elif rt.rhythm == "monthly":
        y, m = first.year, first.month
        while (y, m) <= (today.year, today.month):
            due_day = last_workday(y, m)
            if due_day >= first:
                slots.append(Slot(f"{y}-{m:02d}", f"{rt.name_zh} {y}年{m}月", _due(due_day, rt, tz)))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    elif rt.rhythm == "once" and start <= today:
        slots.append(Slot("once", rt.name_zh, _due(start + timedelta(days=rt.due_days or 0), rt, tz)))
    return slots


def _insert_ignoring_duplicates(rows: list[dict]) -> None:
    s = db.session()
    dialect = s.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for i in range(0, len(rows), INSERT_BATCH):
        ins = insert(Deliverable).values(rows[i:i + INSERT_BATCH])
        s.execute(ins.on_conflict_do_nothing(index_elements=["project_id", "document_key", "period"]))


def materialize(project: Project) -> int:
    """Create the missing scheduled instances up to the current period (none due more than
    LOOKBACK_DAYS ago); idempotent and safe under concurrency (INSERT ... ON CONFLICT DO
    NOTHING). Returns how many were created."""
    start = project.maintenance_start
    if start is None:
        return 0
    tz = local_tz()
    current = now()
    today = current.astimezone(tz).date()
    s = db.session()
    existing = {(key, period) for key, period in s.execute(select(Deliverable.document_key, Deliverable.period)
                                                          .where(Deliverable.project_id == project.id,
                                                                 Deliverable.kind == "record"))}
    rows = []
    for position, rt in enumerate(get_catalog().records):
        for slot in schedule(rt, start, today, tz, since=today - timedelta(days=LOOKBACK_DAYS)):
            if (rt.key, slot.period) not in existing:
                rows.append(dict(project_id=project.id, kind="record", document_key=rt.key, phase=RECORD_PHASE,
                                 position=1000 + position, period=slot.period, title=slot.title,
                                 doc_no=record_doc_no(project.code, rt.key, slot.period),
                                 due_at=slot.due_at, status="missing", version_count=0, created_at=current))
    if rows:
        _insert_ignoring_duplicates(rows)
        s.flush()
    return len(rows)


def create_event_record(user: User, project: Project, record_key: str, title: str = "") -> Deliverable:
    """Create the next on-demand instance (E001, E002, ...) of a per-event record type."""
    rt = get_catalog().record(record_key)
    if rt is None:
        raise UserValueError(f"Unknown record type '{record_key}'.", "unknown_record")
    if rt.rhythm != "on_demand":
        raise UserValueError(f"'{record_key}' is scheduled ({rt.rhythm}), not created on demand.", "not_on_demand")
    require(may_create_record(user, project))
    s = db.session()
    # Lock the project row so two creators never pick the same number.
    db.lock_row(Project.fault_seq, project.id)
    periods = s.scalars(select(Deliverable.period).where(
        Deliverable.project_id == project.id, Deliverable.document_key == rt.key, Deliverable.period.like("E%")))
    numbers = [int(p[1:]) for p in periods if p[1:].isdigit()]
    period = f"E{max(numbers, default=0) + 1:03d}"
    position = [r.key for r in get_catalog().records].index(rt.key)
    d = Deliverable(project_id=project.id, kind="record", document_key=rt.key, phase=RECORD_PHASE,
                    position=1000 + position, period=period, title=title or f"{rt.name_zh} {period}",
                    doc_no=record_doc_no(project.code, rt.key, period),
                    due_at=None, status="missing", version_count=0, created_at=now())
    s.add(d)
    s.flush()
    audit.record("record.create", user, object_type="deliverable", object_id=d.id, project_code=project.code,
                 record_key=rt.key, period=period, title=d.title)
    return d


def first_version_times(deliverable_ids: list[int]) -> dict[int, datetime]:
    """When each deliverable got its first version (the submission time of a record)."""
    if not deliverable_ids:
        return {}
    rows = db.session().execute(select(Version.deliverable_id, func.min(Version.created_at))
                                .where(Version.deliverable_id.in_(deliverable_ids))
                                .group_by(Version.deliverable_id))
    return {did: value for did, value in rows}


def describe(items: list[Deliverable]) -> list[RecordItem]:
    """Status and submission time of record instances."""
    cat, at = get_catalog(), now()
    firsts = first_version_times([d.id for d in items])
    return [RecordItem(d, d.document_key, cat.name_zh(d.document_key),
                       record_status(d.due_at, firsts.get(d.id), at), firsts.get(d.id)) for d in items]


def list_records(project: Project, date_from: date | None = None, date_to: date | None = None,
                 record_key: str | None = None) -> list[RecordItem]:
    """The project's record instances by due date (on-demand ones, which have none, by
    their creation date); `date_from`/`date_to` are HANDOVER_TZ dates. Read only: the
    instances are created by `materialize` (the tick, or setting maintenance_start)."""
    q = select(Deliverable).where(Deliverable.project_id == project.id, Deliverable.kind == "record")
    if record_key:
        q = q.where(Deliverable.document_key == record_key)
    tz = local_tz()
    items = []
    for d in db.session().scalars(q):
        day = (d.due_at or d.created_at).astimezone(tz).date()
        if (date_from and day < date_from) or (date_to and day > date_to):
            continue
        items.append(d)
    items.sort(key=lambda d: (d.due_at or d.created_at, d.position, d.period))
    return describe(items)
