"""Issue 16 point 4 in Chromium: the records calendar (month and week, prev/next, filters, a list
per day on a phone), the SLA page (ECharts chart + tables, CSV / XLSX downloads), the fault page's
stage words and actions by state and role. Screenshots (desktop and phone, zh and en) go to
$HANDOVER_SHOTS_MAINT (default /tmp/maint/shots)."""
from __future__ import annotations

import csv
import io
import os
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from actions import worker_ticks
from browser_support import browser, live_server, login, new_page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
UTC = timezone.utc
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


def _records(actions, app):
    actions.set_project("P1", maintenance_start=date(2026, 11, 9))
    worker_ticks(app)


def _faults(actions):
    t = datetime(2026, 10, 12, 2, 0, tzinfo=UTC)
    ok = actions.report_fault(level=3, reported_at=t.isoformat(), expect=201).json
    actions.fault_event(ok["id"], "respond", at=t + timedelta(minutes=30), expect=201)
    actions.fault_event(ok["id"], "restore", at=t + timedelta(hours=20), expect=201)
    late = actions.report_fault(level=2, title="机房空调告警", reported_at=(NOW - timedelta(hours=3)).isoformat(),
                                expect=201).json
    return ok, late


def _watch(page):
    seen = []
    page.on("pageerror", lambda e: seen.append(str(e)))
    page.on("console", lambda m: seen.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: seen.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    return seen


def test_calendar_month_week_and_filters(actions, app, live_server, browser):
    _records(actions, app)
    page = new_page(browser)
    errors = _watch(page)
    login(page, live_server, "pm")
    page.goto(f"{live_server}/projects/P1/maintenance")
    assert page.inner_text("#cal-title") == "2026年11月"
    assert page.locator("table.m-cal td.m-day").count() == 42
    today = page.locator("td.m-day.today")
    assert today.get_attribute("data-date") == "2026-11-25" and today.get_attribute("aria-current") == "date"
    fri = page.locator('td[data-date="2026-11-13"] li.m-rec')
    assert fri.count() == 2 and "逾期" in fri.first.inner_text()
    page.click("#cal-prev")
    assert page.inner_text("#cal-title") == "2026年10月" and page.locator("li.m-rec").count() == 0
    page.click("#cal-today")
    page.click("#cal-view-week")
    assert "view=week" in page.url and page.locator("table.m-cal td.m-day").count() == 7
    assert page.inner_text("#cal-title") == "2026-11-23 至 2026-11-29"
    page.click("#cal-prev")
    assert page.inner_text("#cal-title") == "2026-11-16 至 2026-11-22"
    assert page.locator('td[data-date="2026-11-16"] li.m-rec[data-record-key="backup_plan"]').count() == 1
    # filters: plain GET form, the view and day kept
    page.select_option("#cal-type", "daily_check_book")
    page.select_option("#cal-status", "overdue")
    page.click(".m-cal-filters button[type=submit]")
    assert "view=week" in page.url and "type=daily_check_book" in page.url and "record_status=overdue" in page.url
    recs = page.locator("li.m-rec")
    assert recs.count() == 1 and recs.first.get_attribute("data-status") == "overdue"
    assert errors == []
    recs.first.locator("a").click()
    page.wait_for_url(f"{live_server}/deliverables/*")


def test_calendar_on_a_phone_is_a_list_of_days(actions, app, live_server, browser):
    _records(actions, app)
    page = new_page(browser, *SIZES["phone"])
    login(page, live_server, "engineer")
    page.goto(f"{live_server}/projects/P1/maintenance#records")
    assert not page.locator("table.m-cal thead").is_visible()
    assert not page.locator('td[data-date="2026-11-10"]').is_visible()          # empty day: hidden
    assert page.locator('td[data-date="2026-11-25"]').is_visible()              # today: shown
    day = page.locator('td[data-date="2026-11-13"]')
    assert day.is_visible() and day.locator(".m-fulldate").inner_text() == "周五 11月13日"
    box = day.bounding_box()
    assert box["width"] > 300  # one day per row, the whole width
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_sla_page_chart_table_and_exports(actions, app, client, world, live_server, browser):
    _faults(actions)
    page = new_page(browser)
    errors = _watch(page)
    login(page, live_server, "client")
    page.goto(f"{live_server}/projects/P1/maintenance")
    page.click(".m-tabs >> text=SLA 达成情况")
    page.wait_for_url(f"{live_server}/projects/P1/sla")
    page.wait_for_selector("#sla-chart[data-ready='1'] svg")
    assert page.locator("#sla-chart").is_visible()
    api = client.get("/api/projects/P1/sla", headers=world.h("client")).json
    total = page.locator('#sla-levels tfoot tr[data-level="total"] td').all_inner_texts()
    assert total[0] == str(api["total"]["faults"]) and total[-1] == f"{api['total']['percent_within_sla']:g}%"
    assert page.locator("#sla-months tbody tr").count() == 2  # October and November
    with page.expect_download() as dl:
        page.click("#sla-export-csv")
    d = dl.value
    assert d.suggested_filename == "P1-智慧园区综合管理平台-SLA统计.csv"
    rows = list(csv.reader(io.StringIO(Path(d.path()).read_bytes().decode("utf-8-sig"))))
    totals = next(r for r in rows if r[0] == "全部" and r[1] == "合计")
    assert int(totals[2]) == api["total"]["faults"] and int(totals[3]) == api["total"]["responded_in_time"]
    with page.expect_download() as dl:
        page.click("#sla-export-xlsx")
    assert dl.value.suggested_filename == "P1-智慧园区综合管理平台-SLA统计.xlsx"
    from openpyxl import load_workbook
    ws = load_workbook(io.BytesIO(Path(dl.value.path()).read_bytes())).active
    assert ws["A3"].value == "月份" and ws.max_row == 3 + 5 * 3
    # a range through the form, then back to everything
    page.fill("input[name=from]", "2026-11-01")
    page.click("#sla-range button[type=submit]")
    assert "from=2026-11-01" in page.url and page.locator("#sla-months tbody tr").count() == 1
    assert errors == []


@pytest.mark.parametrize("who, offered_open, offered_restored", [
    ("engineer", ["respond", "note"], ["note"]),
    ("client", ["hold_level", "note"], ["close", "note"]),
])
def test_fault_page_stage_and_actions_by_state(actions, live_server, browser, who, offered_open, offered_restored):
    _ok, late = _faults(actions)
    page = new_page(browser)
    login(page, live_server, who)
    page.goto(f"{live_server}/faults/{late['id']}")
    assert page.inner_text("#fault-stage") == "待响应"
    assert "响应超时" in page.inner_text("#fault-missed") and "恢复超时" not in page.inner_text("#fault-missed")
    assert page.locator("select[name=kind] option").evaluate_all("os => os.map(o => o.value)") == offered_open
    actions.fault_event(late["id"], "respond", who="engineer", expect=201)
    actions.fault_event(late["id"], "restore", who="engineer", expect=201)
    page.reload()
    assert page.inner_text("#fault-stage") == "待确认关闭"
    assert page.locator("select[name=kind] option").evaluate_all("os => os.map(o => o.value)") == offered_restored
    if "close" in offered_restored:
        page.select_option("select[name=kind]", "close")
        page.click("form[action$='/events'] button[type=submit]")
        page.wait_for_selector(".flash.ok")
        assert page.inner_text("#fault-stage") == "已关闭" and page.locator("#no-fault-actions").is_visible()


def test_screenshots_of_the_maintenance_pages(actions, app, live_server, browser):
    """Desktop and phone, zh and en: calendar (month, week), SLA page, a fault."""
    _records(actions, app)
    _ok, late = _faults(actions)
    out = Path(os.environ.get("HANDOVER_SHOTS_MAINT", "/tmp/maint/shots"))
    out.mkdir(parents=True, exist_ok=True)
    pages = {"calendar-month": "/projects/P1/maintenance", "calendar-week": "/projects/P1/maintenance?view=week",
             "sla": "/projects/P1/sla", "fault": f"/faults/{late['id']}"}
    for size, (w, h) in SIZES.items():
        page = new_page(browser, w, h)
        login(page, live_server, "pm")
        for lang in ("zh", "en"):
            page.goto(f"{live_server}/lang/{lang}")
            for name, path in pages.items():
                page.goto(live_server + path)
                if name == "sla":
                    page.wait_for_selector("#sla-chart[data-ready='1'] svg")
                if name.startswith("calendar"):
                    page.locator("#records").scroll_into_view_if_needed()
                page.screenshot(path=str(out / f"{name}-{size}-{lang}.png"), full_page=True)
                assert page.title()
