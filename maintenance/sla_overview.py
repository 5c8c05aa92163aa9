"""The SLA page's and exports' figures: per level over a range, and the same per month.

Every figure is `maintenance.reports.sla_report` (what GET /api/projects/<code>/sla answers):
the range's table is sla_report(from, to); each month's row is sla_report(first day of the
month, last day) clipped to the range, i.e. the API's answer for ?from=<first>&to=<last>.
Nothing is counted here.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from core import db
from core.clock import local_tz, now
from maintenance.models import Fault
from maintenance.reports import sla_report
from projects.models import Project

MAX_MONTHS = 36  # a bound on the months one page shows (the latest ones)


@dataclass(frozen=True)
class MonthRow:
    month: str          # "2026-11"
    date_from: date     # the month's first day, or the range's start
    date_to: date       # the month's last day, or the range's end
    report: dict        # sla_report(project, date_from, date_to): {"levels": [...], "total": {...}}


@dataclass(frozen=True)
class SlaOverview:
    date_from: date | None
    date_to: date | None
    report: dict                # sla_report(project, date_from, date_to)
    months: list[MonthRow]      # oldest first
    truncated: bool             # more months than MAX_MONTHS: the oldest left out


def _first_fault_day(project: Project) -> date | None:
    first = db.session().scalar(select(func.min(Fault.reported_at)).where(Fault.project_id == project.id))
    return first.astimezone(local_tz()).date() if first else None


def month_ranges(date_from: date, date_to: date) -> list[tuple[str, date, date]]:
    """("2026-11", first day, last day) of every month touching [date_from, date_to], each
    clipped to the range; oldest first."""
    out = []
    y, m = date_from.year, date_from.month
    while (y, m) <= (date_to.year, date_to.month):
        first, last = date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])
        out.append((f"{y}-{m:02d}", max(first, date_from), min(last, date_to)))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def sla_overview(project: Project, date_from: date | None = None, date_to: date | None = None) -> SlaOverview:
    """The range's per-level figures and the months' (from the first fault's month, or the
    range's start, up to the range's end or this month; the latest MAX_MONTHS)."""
    today = now().astimezone(local_tz()).date()
    start = date_from or _first_fault_day(project) or today
    end = date_to or max(today, start)
    months = month_ranges(start, end) if start <= end else []
    truncated = len(months) > MAX_MONTHS
    months = months[-MAX_MONTHS:]
    rows = [MonthRow(key, lo, hi, sla_report(project, lo, hi)) for key, lo, hi in months]
    return SlaOverview(date_from, date_to, sla_report(project, date_from, date_to), rows, truncated)
