"""Maintenance pages (issue 16 point 4) through the test client: the SLA page and its CSV /
XLSX exports carry exactly the figures of GET /api/projects/<code>/sla; fault stage words
(待响应 / 处理中 / 待确认关闭 / 已关闭) and missed deadlines in the API, pages and 待办; actions
in the wrong state neither offered nor accepted; the records calendar's views and filters."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta, timezone
from urllib.parse import quote

import pytest

from actions import worker_ticks

UTC = timezone.utc
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # the suite's clock: Wed 2026-11-25 10:00 Shanghai
KEYS = ("faults", "responded_in_time", "restored_in_time", "within_sla", "missed", "pending", "escalated",
        "escalations", "percent_within_sla")


def _faults_over_two_months(actions):
    """October: one within SLA, one answered and restored late; November: one escalated
    (never answered), one pending (just reported and answered)."""
    t = datetime(2026, 10, 12, 2, 0, tzinfo=UTC)
    ok = actions.report_fault(level=3, reported_at=t.isoformat(), expect=201).json
    actions.fault_event(ok["id"], "respond", at=t + timedelta(minutes=30), expect=201)
    actions.fault_event(ok["id"], "restore", at=t + timedelta(hours=20), expect=201)
    slow = actions.report_fault(level=2, reported_at=t.isoformat(), channel="email", expect=201).json
    actions.fault_event(slow["id"], "respond", at=t + timedelta(hours=3), expect=201)
    actions.fault_event(slow["id"], "restore", at=t + timedelta(hours=30), expect=201)
    actions.report_fault(level=4, reported_at=(NOW - timedelta(hours=70)).isoformat(), expect=201)
    pending = actions.report_fault(level=1, expect=201).json
    actions.fault_event(pending["id"], "respond", expect=201)


def _api(client, world, query=""):
    r = client.get(f"/api/projects/P1/sla{query}", headers=world.h("pm"))
    assert r.status_code == 200, r.json
    return r.json


def _expected_rows(api_answer, label):
    """The export's rows for one API answer: per level (级别 name), then 合计."""
    rows = [[label, r["name_zh"]] + ["" if r[k] is None else r[k] for k in KEYS] for r in api_answer["levels"]]
    t = api_answer["total"]
    return rows + [[label, "合计"] + ["" if t[k] is None else t[k] for k in KEYS]]


def _norm(row):
    """A CSV / XLSX row as comparable values (numbers as floats, empty as "")."""
    out = []
    for v in row:
        if v is None or v == "":
            out.append("")
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out.append(float(v))
        else:
            try:
                out.append(float(v))
            except ValueError:
                out.append(v)
    return out


def test_sla_page_and_exports_equal_the_api(actions, client, world):
    _faults_over_two_months(actions)
    actions.login("pm")
    page = client.get("/projects/P1/sla")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    everything = _api(client, world)
    october = _api(client, world, "?from=2026-10-01&to=2026-10-31")
    november = _api(client, world, "?from=2026-11-01&to=2026-11-30")
    assert october["total"]["faults"] == 2 and november["total"]["faults"] == 2
    # the page: the totals row and one row per month, figures as the API says
    total = re.search(r'<tr data-level="total">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r'<td class="num">([^<]*)</td>', total) == [
        str(everything["total"][k]) if k != "percent_within_sla" else f"{everything['total'][k]:g}%" for k in KEYS]
    for month, answer in (("2026-10", october), ("2026-11", november)):
        row = re.search(rf'<tr data-month="{month}">(.*?)</tr>', html, re.S).group(1)
        cells = re.findall(r'<td class="num">([^<]*)</td>', row)
        assert cells[0] == str(answer["total"]["faults"]) and cells[1] == str(answer["total"]["responded_in_time"])
    assert "data-chart='{" in html and "echarts.common.min.js" in html and "js/sla_chart.js" in html

    expected = (_expected_rows(everything, "全部") + _expected_rows(october, "2026-10")
                + _expected_rows(november, "2026-11"))
    r = client.get("/projects/P1/sla.csv")
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/csv; charset=utf-8"
    name = "P1-智慧园区综合管理平台-SLA统计.csv"
    assert f"filename*=UTF-8''{quote(name, safe='')}" in r.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(r.get_data().decode("utf-8-sig"))))
    assert rows[0][:3] == ["月份", "级别", "故障数"]
    assert [_norm(x) for x in rows[1:]] == [_norm(x) for x in expected]

    from openpyxl import load_workbook
    r = client.get("/projects/P1/sla.xlsx")
    assert r.status_code == 200 and "SLA%E7%BB%9F%E8%AE%A1.xlsx" in r.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(r.data)).active
    values = [list(row) for row in ws.iter_rows(min_row=4, values_only=True)]
    assert [_norm(x) for x in values] == [_norm(x) for x in expected]


def test_sla_range_follows_the_api_and_bad_input_is_400(actions, client, world):
    _faults_over_two_months(actions)
    actions.login("client")
    r = client.get("/projects/P1/sla.csv?from=2026-11-01&to=2026-11-30")
    rows = list(csv.reader(io.StringIO(r.get_data().decode("utf-8-sig"))))
    answer = _api(client, world, "?from=2026-11-01&to=2026-11-30")
    assert [_norm(x) for x in rows[1:6]] == [_norm(x) for x in _expected_rows(answer, "2026-11-01~2026-11-30")]
    assert {x[0] for x in rows[6:]} == {"2026-11"}  # one month in the range
    html = client.get("/projects/P1/sla?from=2026-11-01").get_data(as_text=True)
    assert 'data-month="2026-11"' in html and 'data-month="2026-10"' not in html
    for bad in ("?from=2026-02-30", "?from=2026-11-24&to=2026-11-23", "?to=tomorrow"):
        for path in ("/projects/P1/sla", "/projects/P1/sla.csv"):
            assert client.get(path + bad).status_code == 400
    assert client.get("/projects/P1/sla.pdf").status_code == 404
    actions.login("client2")
    assert client.get("/projects/P1/sla").status_code == 404
    assert client.get("/projects/P1/sla.xlsx").status_code == 404


def _stage_of_page(html):
    return re.search(r'id="fault-stage" data-stage="([a-z_]+)">([^<]+)<', html).groups()


def test_fault_stage_words_for_each_state(actions, client, world, clock):
    f = actions.report_fault(level=3, reported_at=(NOW - timedelta(hours=3)).isoformat(), expect=201).json
    assert (f["stage"], f["stage_zh"], f["status"]) == ("awaiting_response", "待响应", "open")
    assert f["missed"] == ["respond"]  # phone: 1 h to respond, 3 h ago
    actions.login("engineer")
    html = client.get(f"/faults/{f['id']}").get_data(as_text=True)
    assert _stage_of_page(html) == ("awaiting_response", "待响应")
    assert "已超出服务时限：响应超时" in html and "恢复超时" not in html
    tasks = client.get("/api/me/tasks", headers=world.h("engineer")).json["tasks"]
    assert next(t for t in tasks if t.get("fault_id") == f["id"])["stage"] == "awaiting_response"
    home = client.get("/").get_data(as_text=True)
    assert re.search(rf'data-fault="{f["id"]}">\s*<a class="task-link" href="[^"]+"><span class="task-label">待响应<', home)
    listing = client.get("/projects/P1/maintenance").get_data(as_text=True)
    assert 'data-stage="awaiting_response">待响应<' in listing and 'data-missed="respond">响应超时<' in listing

    actions.fault_event(f["id"], "respond", expect=201)
    g = client.get(f"/api/faults/{f['id']}", headers=world.h("pm")).json
    assert (g["stage"], g["stage_zh"], g["missed"]) == ("in_progress", "处理中", ["respond"])
    assert _stage_of_page(client.get(f"/faults/{f['id']}").get_data(as_text=True)) == ("in_progress", "处理中")

    clock.advance(hours=22)  # 25 h after the report: the 24 h restore deadline has passed
    g = client.get(f"/api/faults/{f['id']}", headers=world.h("pm")).json
    assert g["missed"] == ["respond", "restore"]
    assert "已超出服务时限：响应超时、恢复超时" in client.get(f"/faults/{f['id']}").get_data(as_text=True)

    actions.fault_event(f["id"], "restore", expect=201)
    g = client.get(f"/api/faults/{f['id']}", headers=world.h("pm")).json
    assert (g["stage"], g["stage_zh"], g["status"]) == ("awaiting_close", "待确认关闭", "restored")
    client_tasks = client.get("/api/me/tasks", headers=world.h("client")).json["tasks"]
    assert next(t for t in client_tasks if t.get("fault_id") == f["id"])["stage"] == "awaiting_close"
    actions.login("client")
    assert _stage_of_page(client.get(f"/faults/{f['id']}").get_data(as_text=True)) == ("awaiting_close", "待确认关闭")
    assert 'data-stage="awaiting_close"' in client.get("/projects/P1/maintenance?status=awaiting_close").get_data(
        as_text=True)
    assert 'data-stage="awaiting_close"' not in client.get(
        "/projects/P1/maintenance?status=awaiting_response").get_data(as_text=True)

    actions.fault_event(f["id"], "close", who="client", expect=201)
    g = client.get(f"/api/faults/{f['id']}", headers=world.h("pm")).json
    assert (g["stage"], g["stage_zh"]) == ("closed", "已关闭")
    assert _stage_of_page(client.get(f"/faults/{f['id']}").get_data(as_text=True)) == ("closed", "已关闭")
    client.get("/lang/en")
    html = client.get(f"/faults/{f['id']}").get_data(as_text=True)
    assert 'data-stage="closed">Closed<' in html


def _offered(client, fault_id):
    html = client.get(f"/faults/{fault_id}").get_data(as_text=True)
    return re.findall(r'<option value="([a-z_]+)"', html.split('name="kind"')[1].split("</select>")[0]) \
        if 'name="kind"' in html else []


@pytest.mark.parametrize("who, open_, responded, restored", [
    ("engineer", ["respond", "note"], ["restore", "note"], ["note"]),
    ("pm", ["respond", "hold_level", "note"], ["restore", "hold_level", "note"], ["close", "note"]),
    ("client", ["hold_level", "note"], ["hold_level", "note"], ["close", "note"]),
])
def test_fault_page_offers_only_allowed_actions(actions, client, who, open_, responded, restored):
    f = actions.report_fault(expect=201).json
    actions.login(who)
    assert _offered(client, f["id"]) == open_
    actions.fault_event(f["id"], "respond", expect=201)
    assert _offered(client, f["id"]) == responded
    actions.fault_event(f["id"], "restore", expect=201)
    assert _offered(client, f["id"]) == restored
    actions.fault_event(f["id"], "close", who="pm", expect=201)
    assert _offered(client, f["id"]) == []
    assert 'id="no-fault-actions"' in client.get(f"/faults/{f['id']}").get_data(as_text=True)


def test_wrong_state_actions_are_refused(actions, client, world):
    f = actions.report_fault(expect=201).json
    actions.fault_event(f["id"], "respond", expect=201)
    actions.fault_event(f["id"], "restore", expect=201)
    for kind, code in (("respond", "already_responded"), ("restore", "already_restored"),
                       ("hold_level", "already_restored")):
        r = actions.fault_event(f["id"], kind, who="pm", expect=409)
        assert r.json["error"]["code"] == code and r.json["error"]["message"]
    # the page's form post (a stale page, or a hand-made request) is refused the same way
    actions.login("engineer")
    token = actions.csrf(f"/faults/{f['id']}")
    r = client.post(f"/faults/{f['id']}/events", data={"csrf_token": token, "kind": "respond"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/faults/{f['id']}")
    html = client.get(f"/faults/{f['id']}").get_data(as_text=True)
    assert 'class="flash error"' in html and "该故障已响应。" in html
    events = client.get(f"/api/faults/{f['id']}", headers=world.h("pm")).json["events"]
    assert [e["kind"] for e in events] == ["respond", "restore"]


# --- records calendar ----------------------------------------------------------------------------

def _calendar(client, query=""):
    r = client.get(f"/projects/P1/maintenance{query}")
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    html = r.get_data(as_text=True)
    days = {}
    for day, body in re.findall(r'<td class="m-day[^"]*" data-date="([0-9-]+)"[^>]*>(.*?)</td>', html, re.S):
        days[day] = re.findall(r'<li class="m-rec ([a-z]+)" data-status="\1" data-record-key="([a-z_]+)"', body)
    return html, days


def test_records_calendar_month_and_week_with_filters(actions, client, app, clock):
    actions.set_project("P1", maintenance_start=date(2026, 11, 9))
    worker_ticks(app)
    wk = actions.records()
    first = next(i for i in wk if (i["record_key"], i["period"]) == ("daily_check_book", "2026-W46"))
    actions.upload(first["deliverable_id"], b"checked", "check.txt")  # submitted on 2026-11-25: late
    actions.login("pm")
    html, days = _calendar(client)
    assert "2026年11月" in html and 'aria-current="date"' in html
    assert len(days) == 42 and min(days) == "2026-10-26" and max(days) == "2026-12-06"  # Mon..Sun, whole weeks
    assert sorted(days["2026-11-13"]) == [("late", "daily_check_book"), ("overdue", "ops_weekly_report")]
    assert sorted(days["2026-11-27"]) == [("due", "daily_check_book"), ("due", "ops_weekly_report")]
    assert days["2026-11-16"] == [("overdue", "backup_plan")]
    assert re.search(r'data-date="2026-11-25"[^>]*aria-current="date"', html)
    assert 'href="/projects/P1/maintenance?view=month&amp;date=2026-10-01#records"' in html  # previous month
    assert 'href="/projects/P1/maintenance?view=month&amp;date=2026-12-01#records"' in html

    html, days = _calendar(client, "?view=week&date=2026-11-12")
    assert sorted(days) == [f"2026-11-{d:02d}" for d in range(9, 16)]
    assert len(days["2026-11-13"]) == 2 and "2026-11-09 至 2026-11-15" in html
    assert 'date=2026-11-02' in html and 'date=2026-11-16' in html  # previous / next week

    _, days = _calendar(client, "?record_status=overdue")
    assert {s for items in days.values() for s, _ in items} == {"overdue"}
    assert sum(len(v) for v in days.values()) == 4  # W46 and W47 reports, W47 check book, backup plan
    _, days = _calendar(client, "?type=daily_check_book&record_status=due")
    assert [x for v in days.values() for x in v] == [("due", "daily_check_book")]
    html, days = _calendar(client, "?type=inspection_report")
    assert days["2026-11-30"] == [("due", "inspection_report")] and "这段时间没有符合条件的记录。" not in html
    html, days = _calendar(client, "?type=inspection_report&date=2026-10-05")  # before maintenance started
    assert not any(days.values()) and "这段时间没有符合条件的记录。" in html
    for bad in ("?view=year", "?date=2026-13-01", "?type=nope", "?record_status=open"):
        assert client.get(f"/projects/P1/maintenance{bad}").status_code == 400
    # the fault filter keeps its own parameter next to the calendar's
    assert client.get("/projects/P1/maintenance?status=open&record_status=due").status_code == 200


def test_records_list_view_and_the_portfolio_overdue_link(actions, client, app):
    actions.set_project("P1", maintenance_start=date(2026, 11, 9))
    worker_ticks(app)
    actions.login("pm")
    # the portfolio's 逾期记录 number links to ?status=overdue: every overdue record, as a list
    html = client.get("/projects/P1/maintenance?status=overdue").get_data(as_text=True)
    rows = re.findall(r'<tr class="m-rec-row" data-status="([a-z]+)" data-record-key="([a-z_]+)"', html)
    api = [r for r in actions.records() if r["status"] == "overdue"]
    assert len(rows) == len(api) == 5 and {s for s, _ in rows} == {"overdue"}
    assert 'id="cal-view-list" href="/projects/P1/maintenance?view=list' in html and 'aria-current="true">列表<' in html
    html = client.get("/projects/P1/maintenance?view=list&type=backup_plan").get_data(as_text=True)
    assert re.findall(r'data-record-key="([a-z_]+)"', html.split('m-cal-list')[1]) == ["backup_plan"]
    assert "once" not in html.split('m-cal-list')[1]  # a one-off record shows no period word
