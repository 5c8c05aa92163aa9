"""Completeness over time of one project: its documents signed off, week by week.

A week is Monday to Sunday in HANDOVER_TZ (ISO week). Per week: `signed` versions signed off
that week (a document signed again after a revision counts again), `documents` the documents
with at least one signed-off version by the end of the week, and `percent` of the required
documents (phases.completeness.percent). Two SQL statements whatever the project's size.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, select

from core import db
from core.clock import local_tz, now
from deliverables.models import Deliverable, Version
from phases.completeness import percent

MAX_WEEKS = 104  # two years of weeks on the chart; older sign-offs count in the first week shown


def _monday(at: datetime) -> date:
    day = at.astimezone(local_tz()).date()
    return day - timedelta(days=day.weekday())


def weekly_signoffs(project_id: int, at: datetime | None = None) -> dict:
    """{"total": required documents, "weeks": [{"week": "2026-W05", "start": "2026-01-26",
    "signed", "documents", "percent"}]} from the first week with a sign-off to the week of `at`
    (at most MAX_WEEKS; empty when nothing was signed off yet)."""
    s = db.session()
    documents = and_(Deliverable.project_id == project_id, Deliverable.kind == "document")
    total = s.scalar(select(func.count()).select_from(Deliverable).where(documents))
    pairs = s.execute(select(Version.deliverable_id, Version.signed_off_at)
                      .join(Deliverable, Deliverable.id == Version.deliverable_id)
                      .where(documents, Version.signed_off_at.is_not(None))).all()
    signed_at = [t for _, t in pairs]
    first_of: dict[int, datetime] = {}
    for did, t in pairs:
        first_of[did] = min(first_of.get(did, t), t)
    if not signed_at:
        return {"total": total, "weeks": []}
    last = _monday(at or now())
    start = max(min(_monday(t) for t in signed_at), last - timedelta(weeks=MAX_WEEKS - 1))
    signed_per: dict[date, int] = {}
    firsts_per: dict[date, int] = {}
    for t in signed_at:
        signed_per[max(_monday(t), start)] = signed_per.get(max(_monday(t), start), 0) + 1
    for t in first_of.values():
        firsts_per[max(_monday(t), start)] = firsts_per.get(max(_monday(t), start), 0) + 1
    weeks, running, day = [], 0, start
    while day <= last:
        running += firsts_per.get(day, 0)
        y, w, _ = day.isocalendar()
        weeks.append({"week": f"{y}-W{w:02d}", "start": day.isoformat(), "signed": signed_per.get(day, 0),
                      "documents": running, "percent": percent(running, total)})
        day += timedelta(weeks=1)
    return {"total": total, "weeks": weeks}
