"""The maintenance records calendar (运维记录日历): a month grid or one week, Monday first,
in HANDOVER_TZ, with the record instances placed on their due date, filtered by record type
and status. Statuses come from maintenance.records (THE status rule); nothing is computed
here but where a day falls.

Query string (works without script): view=month|week|list (list: every instance matching the
filters, whatever its date, newest due first), date=YYYY-MM-DD (any day of the month
or week; default today), type=<record key>, record_status=due|submitted|late|overdue (`status`
is the page's fault filter; a record status given there, as the portfolio's 逾期记录 link
does with ?status=overdue, filters the records and shows them as a list).
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

from api.inputs import parse_date
from catalog import get_catalog
from core.clock import local_tz, now
from core.errors import UserValueError
from maintenance import records

VIEWS = ("month", "week", "list")


@dataclass
class Day:
    day: date
    in_range: bool          # in the month shown (always, in the week view)
    today: bool
    items: list = field(default_factory=list)   # records.RecordItem, by due time


@dataclass
class Calendar:
    view: str
    anchor: date
    today: date
    weeks: list[list[Day]]
    prev: date
    next: date
    record_type: str | None
    status: str | None
    undated: list           # on-demand records (no due date), filtered the same way
    count: int              # records placed on the grid (the list view: listed)
    listed: list = field(default_factory=list)  # the list view's records, newest due first

    @property
    def first(self) -> date | None:
        return self.weeks[0][0].day if self.weeks else None

    @property
    def last(self) -> date | None:
        return self.weeks[-1][-1].day if self.weeks else None


def calendar_query(args) -> tuple[str, date | None, str | None, str | None]:
    """(view, date, type, status) from the query string; a wrong value is a 400."""
    status = args.get("record_status") or None
    if status is None and args.get("status") in records.RECORD_STATUSES:
        status = args.get("status")  # the portfolio's link: ?status=overdue
    view = args.get("view") or ("list" if status and not args.get("record_status") else "month")
    if view not in VIEWS:
        raise UserValueError("'view' must be month, week or list.", "invalid_choice")
    anchor = parse_date(args.get("date"), "date")
    keys = {r.key for r in get_catalog().records}
    record_type = args.get("type") or None
    if record_type is not None and record_type not in keys:
        raise UserValueError(f"Unknown record type '{record_type}'.", "invalid_choice")
    if status is not None and status not in records.RECORD_STATUSES:
        raise UserValueError(f"'record_status' must be one of {', '.join(records.RECORD_STATUSES)}.", "invalid_choice")
    return view, anchor, record_type, status


def _span(view: str, anchor: date) -> tuple[date, date, date, date]:
    """(first day shown, last day shown, previous anchor, next anchor)."""
    if view == "week":
        monday = anchor - timedelta(days=anchor.weekday())
        return monday, monday + timedelta(days=6), monday - timedelta(days=7), monday + timedelta(days=7)
    first = anchor.replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    prev = (first - timedelta(days=1)).replace(day=1)
    return (first - timedelta(days=first.weekday()), last + timedelta(days=6 - last.weekday()), prev,
            last + timedelta(days=1))


def build_calendar(project, view: str = "month", anchor: date | None = None, record_type: str | None = None,
                   status: str | None = None) -> Calendar:
    """The grid of `view` around `anchor` (default today) with the project's record instances
    (maintenance.records.list_records over the days shown) placed on their local due day."""
    tz = local_tz()
    today = now().astimezone(tz).date()
    anchor = anchor or today
    if view == "list":
        listed = [i for i in records.list_records(project, None, None, record_type)
                  if status is None or i.status == status]
        listed.sort(key=lambda i: i.deliverable.due_at or i.deliverable.created_at, reverse=True)
        return Calendar(view, anchor, today, [], anchor, anchor, record_type, status, [], len(listed), listed)
    start, end, prev, nxt = _span(view, anchor)
    items = [i for i in records.list_records(project, start, end, record_type) if status is None or i.status == status]
    by_day: dict[date, list] = {}
    undated = []
    for item in items:
        if item.deliverable.due_at is None:
            undated.append(item)
        else:
            by_day.setdefault(item.deliverable.due_at.astimezone(tz).date(), []).append(item)
    weeks, day = [], start
    while day <= end:
        week = []
        for _ in range(7):
            in_range = view == "week" or day.month == anchor.month
            week.append(Day(day, in_range, day == today, by_day.get(day, [])))
            day += timedelta(days=1)
        weeks.append(week)
    return Calendar(view, anchor, today, weeks, prev, nxt, record_type, status, undated,
                    sum(len(v) for v in by_day.values()))


WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def calendar_words(cal: Calendar, lang: str, gettext) -> dict:
    """The calendar's words in the UI language: its title (2026年11月 / November 2026; a week:
    its first and last day), the weekday headings and a day's label for the phone list."""
    if cal.view == "list":
        title = gettext("全部记录")
    elif cal.view == "month":
        title = (f"{calendar.month_name[cal.anchor.month]} {cal.anchor.year}" if lang == "en"
                 else f"{cal.anchor.year}年{cal.anchor.month}月")
    else:
        title = gettext("{a} 至 {b}", a=cal.first.isoformat(), b=cal.last.isoformat())
    weekdays = [gettext(w) for w in WEEKDAYS_ZH]

    def day_label(day: date) -> str:
        return f"{weekdays[day.weekday()]} " + gettext("{m}月{d}日", m=day.month, d=day.day)
    return {"cal_title": title, "weekday_names": weekdays, "day_label": day_label,
            "record_names": {r.key: (r.name_en if lang == "en" and r.name_en else r.name_zh)
                             for r in get_catalog().records}}
