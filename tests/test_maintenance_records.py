"""Recurring records: schedule and due times (local time, DST, month ends), lazy and
idempotent instances, status (due / submitted / late / overdue), on-demand records,
and the weekly report's pre-filled fault table."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from actions import worker_ticks
from core import db

UTC = timezone.utc


def by_key(items):
    return {(i["record_key"], i["period"]): i for i in items}


def test_no_instances_while_maintenance_start_unset(actions):
    assert actions.records() == []


def test_instances_up_to_current_period_with_due_times(actions, app, client):
    actions.set_project("P1", maintenance_start=date(2026, 11, 9))  # Monday of 2026-W46; now is Wed of W48
    worker_ticks(app)  # time passes and the worker ticks: it creates the instances
    items = actions.records()
    got = {k: datetime.fromisoformat(v["due_at"]) for k, v in by_key(items).items()}
    fri = lambda d: datetime(2026, 11, d, 18, 0, tzinfo=timezone(timedelta(hours=8)))  # noqa: E731
    assert got == {
        ("daily_check_book", "2026-W46"): fri(13), ("daily_check_book", "2026-W47"): fri(20),
        ("daily_check_book", "2026-W48"): fri(27),
        ("ops_weekly_report", "2026-W46"): fri(13), ("ops_weekly_report", "2026-W47"): fri(20),
        ("ops_weekly_report", "2026-W48"): fri(27),
        ("inspection_report", "2026-11"): datetime(2026, 11, 30, 18, 0, tzinfo=timezone(timedelta(hours=8))),
        ("backup_plan", "once"): datetime(2026, 11, 16, 18, 0, tzinfo=timezone(timedelta(hours=8))),
    }
    first = by_key(items)[("daily_check_book", "2026-W47")]
    assert first["name_zh"] == "系统日常检查记录册" and first["due_at"] == "2026-11-20T18:00:00+08:00"
    assert "2026-11-16 至 2026-11-22" in first["title"] and isinstance(first["deliverable_id"], int)
    # idempotent: listing again (and by another user) creates nothing new
    assert actions.records(who="client") == items
    from deliverables.models import Deliverable
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Deliverable).where(
            Deliverable.kind == "record")) == 8
        d = db.session().get(Deliverable, first["deliverable_id"])
        assert (d.phase, d.document_key, d.period) == ("maintenance", "daily_check_book", "2026-W47")


def test_friday_due_across_month_and_year_end(actions, app, clock):
    actions.set_project("P1", maintenance_start=date(2026, 12, 21))
    clock.set(datetime(2027, 1, 5, 2, 0, tzinfo=UTC))
    worker_ticks(app)  # time passes and the worker ticks: it creates the instances
    items = by_key(actions.records("?from=2026-12-01&to=2027-01-31"))
    assert items[("daily_check_book", "2026-W52")]["due_at"] == "2026-12-25T18:00:00+08:00"
    assert items[("daily_check_book", "2026-W53")]["due_at"] == "2027-01-01T18:00:00+08:00"  # week of Dec 28 - Jan 3
    assert items[("daily_check_book", "2027-W01")]["due_at"] == "2027-01-08T18:00:00+08:00"
    assert items[("inspection_report", "2026-12")]["due_at"] == "2026-12-31T18:00:00+08:00"
    assert items[("inspection_report", "2027-01")]["due_at"] == "2027-01-29T18:00:00+08:00"  # 30/31 are a weekend
    assert ("daily_check_book", "2027-W02") not in items  # not begun yet


def test_due_at_is_local_time_in_a_dst_zone(actions, app, clock):
    app.config["HANDOVER_TZ"] = "Europe/Berlin"
    actions.set_project("P1", maintenance_start=date(2026, 10, 19))  # DST ends Sunday 2026-10-25
    clock.set(datetime(2026, 11, 3, 12, 0, tzinfo=UTC))
    worker_ticks(app)  # time passes and the worker ticks: it creates the instances
    items = by_key(actions.records())
    summer, winter = items[("daily_check_book", "2026-W43")], items[("daily_check_book", "2026-W44")]
    assert summer["due_at"] == "2026-10-23T18:00:00+02:00"
    assert winter["due_at"] == "2026-10-30T18:00:00+01:00"
    assert datetime.fromisoformat(summer["due_at"]).astimezone(UTC).hour == 16
    assert datetime.fromisoformat(winter["due_at"]).astimezone(UTC).hour == 17
    assert items[("inspection_report", "2026-10")]["due_at"] == "2026-10-30T18:00:00+01:00"


def test_last_working_day_follows_the_calendar(monkeypatch):
    import catalog
    from maintenance import records as rec
    cat = catalog.get_catalog()
    patched = dataclasses.replace(cat, holidays=frozenset({date(2026, 4, 30)}),
                                  extra_workdays=frozenset({date(2026, 2, 28)}))
    monkeypatch.setattr(rec, "get_catalog", lambda: patched)
    assert rec.last_workday(2026, 4) == date(2026, 4, 29)  # 30th a holiday
    assert rec.last_workday(2026, 2) == date(2026, 2, 28)  # a Saturday made a working day (调休)
    assert rec.last_workday(2026, 5) == date(2026, 5, 29)  # 30/31 weekend


def test_status_due_submitted_late_overdue(actions, app, clock):
    actions.set_project("P1", maintenance_start=date(2026, 11, 9))
    clock.set(datetime(2026, 11, 13, 9, 0, tzinfo=UTC))  # Friday 17:00 Shanghai
    worker_ticks(app)  # time passes and the worker ticks: it creates the instances
    w46 = by_key(actions.records())
    assert w46[("daily_check_book", "2026-W46")]["status"] == "due"
    # an hour early
    actions.upload(w46[("daily_check_book", "2026-W46")]["deliverable_id"], b"weekly record", "记录.docx")
    clock.set(datetime(2026, 11, 13, 10, 0, tzinfo=UTC))  # exactly 18:00: still on time
    actions.upload(w46[("ops_weekly_report", "2026-W46")]["deliverable_id"], b"weekly record", "记录.docx")
    clock.set(datetime(2026, 11, 20, 10, 0, 1, tzinfo=UTC))  # one second after the W47 due time
    worker_ticks(app)  # time passes and the worker ticks: it creates the instances
    w47 = by_key(actions.records())
    actions.upload(w47[("daily_check_book", "2026-W47")]["deliverable_id"], b"weekly record", "记录.docx")
    clock.set(datetime(2026, 11, 25, 2, 0, tzinfo=UTC))
    worker_ticks(app)  # time passes and the worker ticks: it creates the instances
    items = by_key(actions.records())
    status = {k: v["status"] for k, v in items.items()}
    assert status[("daily_check_book", "2026-W46")] == "submitted"
    assert status[("ops_weekly_report", "2026-W46")] == "submitted"
    assert status[("daily_check_book", "2026-W47")] == "late"
    assert status[("ops_weekly_report", "2026-W47")] == "overdue"
    assert status[("daily_check_book", "2026-W48")] == "due"
    assert status[("backup_plan", "once")] == "overdue"
    assert items[("daily_check_book", "2026-W46")]["submitted_at"] == "2026-11-13T17:00:00+08:00"
    assert items[("ops_weekly_report", "2026-W47")]["submitted_at"] is None
    # a second version does not change when it was submitted
    actions.upload(items[("daily_check_book", "2026-W47")]["deliverable_id"], b"weekly record", "记录.docx")
    assert by_key(actions.records())[("daily_check_book", "2026-W47")]["status"] == "late"


def test_date_range_filters_by_due_date(actions, app, client, world):
    actions.set_project("P1", maintenance_start=date(2026, 11, 9))
    worker_ticks(app)  # time passes and the worker ticks: it creates the instances
    items = actions.records("?from=2026-11-14&to=2026-11-20")
    assert sorted((i["record_key"], i["period"]) for i in items) == [
        ("backup_plan", "once"), ("daily_check_book", "2026-W47"), ("ops_weekly_report", "2026-W47")]
    only = actions.records("?record_key=inspection_report")
    assert [i["period"] for i in only] == ["2026-11"]
    for bad in ("?from=2026-13-01", "?from=2026-11-20&to=2026-11-01", "?record_key=nope", "?to=x"):
        r = client.get(f"/api/projects/P1/records{bad}", headers=world.h("pm"))
        assert r.status_code == 400 and "error" in r.json


def test_on_demand_records(actions, client, world):
    r = client.post("/api/projects/P1/records", json={"record_key": "complaint_form", "title": "用户投诉：响应慢"},
                    headers=world.h("engineer"))
    assert r.status_code == 201, r.json
    first = r.json
    assert (first["period"], first["status"], first["due_at"], first["title"]) == ("E001", "due", None, "用户投诉：响应慢")
    second = client.post("/api/projects/P1/records", json={"record_key": "complaint_form"}, headers=world.h("pm")).json
    assert second["period"] == "E002" and second["title"] == "服务投诉受理表 E002"
    other = client.post("/api/projects/P1/records", json={"record_key": "upgrade_plan"}, headers=world.h("pm")).json
    assert other["period"] == "E001"
    actions.upload(first["deliverable_id"], b"weekly record", "记录.docx")
    listed = by_key(actions.records(who="client"))
    assert listed[("complaint_form", "E001")]["status"] == "submitted"
    assert listed[("complaint_form", "E002")]["status"] == "due"


@pytest.mark.parametrize("body,who,status,code", [
    ({"record_key": "daily_check_book"}, "pm", 400, "not_on_demand"),
    ({"record_key": "backup_plan"}, "pm", 400, "not_on_demand"),
    ({"record_key": "nope"}, "pm", 400, "unknown_record"),
    ({}, "pm", 400, "missing_field"),
    ({"record_key": "complaint_form", "title": 3}, "pm", 400, "wrong_type"),
    ({"record_key": "complaint_form"}, "client", 403, "role_may_not"),
    ({"record_key": "complaint_form"}, "pm2", 404, "project_not_found"),
])
def test_on_demand_bad_requests(client, world, body, who, status, code):
    r = client.post("/api/projects/P1/records", json=body, headers=world.h(who))
    assert r.status_code == status and r.json["error"]["code"] == code


def test_records_of_another_project_are_404(client, world):
    assert client.get("/api/projects/P1/records", headers=world.h("client2")).status_code == 404


def test_weekly_report_draft_extra_has_the_weeks_fault_stats(actions, app, clock):
    from deliverables.models import Deliverable
    from maintenance.reports import draft_extra
    actions.set_project("P1", maintenance_start=date(2026, 11, 9))
    worker_ticks(app)  # time passes and the worker ticks: it creates the instances
    now = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    quick = actions.report_fault(level=3).json
    actions.fault_event(quick["id"], "respond")
    actions.fault_event(quick["id"], "restore")
    actions.report_fault(level=4, reported_at=(now - timedelta(hours=40)).isoformat())  # Mon 18:00; 4 -> 3 after 24 h
    actions.report_fault(level=2, reported_at=(now - timedelta(days=3)).isoformat())  # the week before: not counted
    week = by_key(actions.records())[("ops_weekly_report", "2026-W48")]
    with app.app_context():
        extra = draft_extra(db.session().get(Deliverable, week["deliverable_id"]))
        check = draft_extra(db.session().get(Deliverable, by_key(actions.records())[
            ("daily_check_book", "2026-W48")]["deliverable_id"]))
    assert extra["period"] == "2026-W48 (2026-11-23 至 2026-11-29)"
    assert extra["fault_stats"] == [["一级", 0, 0, 0, 0], ["二级", 0, 0, 0, 0], ["三级", 1, 1, 1, 0],
                                    ["四级", 1, 0, 0, 1], ["合计", 2, 1, 1, 1]]
    assert check == {"period": "2026-W48 (2026-11-23 至 2026-11-29)", "week_start": "2026-11-23"}  # no faults


def test_record_submitted_through_the_deliverable_endpoints(actions, app, client, world):
    """Upload and draft go through the lead's deliverable endpoints; the weekly report's
    draft carries the week's fault table."""
    import io
    import zipfile
    actions.set_project("P1", maintenance_start=date(2026, 11, 9))
    worker_ticks(app)  # time passes and the worker ticks: it creates the instances
    actions.report_fault(level=2, title="能耗报表缺失", channel="email")
    items = by_key(actions.records())
    check = items[("daily_check_book", "2026-W48")]["deliverable_id"]
    r = client.post(f"/api/deliverables/{check}/versions", headers=world.h("engineer"),
                    data={"file": (io.BytesIO("检查正常".encode()), "检查记录.txt")}, content_type="multipart/form-data")
    assert r.status_code == 201, r.json
    weekly = items[("ops_weekly_report", "2026-W48")]["deliverable_id"]
    r = client.post(f"/api/deliverables/{weekly}/draft", json={"format": "docx"}, headers=world.h("engineer"))
    assert r.status_code == 201, r.json
    status = {k: v["status"] for k, v in by_key(actions.records()).items()}
    assert status[("daily_check_book", "2026-W48")] == "submitted"
    assert status[("ops_weekly_report", "2026-W48")] == "submitted"
    body = client.get(f"/api/versions/{r.json['id']}/file", headers=world.h("pm")).data
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    assert "2026-W48 (2026-11-23 至 2026-11-29)" in xml and "二级" in xml and "合计" in xml
