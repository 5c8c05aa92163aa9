"""系统运行报告 filled from the database (issue 15): the generated DOCX's SLA table equals the
API's SLA figures for the week, and the week's faults and records are listed."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone

import docx

from actions import worker_ticks

UTC = timezone.utc


def _table(doc, first_header: str):
    return next(t for t in doc.tables if t.rows[0].cells[0].text == first_header
                and t.rows[0].cells[-1].text in ("SLA 达成率", "恢复时间", "提交时间"))


def _number(text: str):
    return None if text == "—" else float(text.rstrip("%"))


def test_weekly_report_sla_figures_equal_the_api_and_list_the_weeks_faults_and_records(
        actions, app, client, world, clock):
    actions.set_project("P1", maintenance_start=date(2026, 11, 9))
    worker_ticks(app)  # the worker creates the week's record instances
    now = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # Wed of 2026-W48
    quick = actions.report_fault(level=3, title="门禁系统无法开门").json
    actions.fault_event(quick["id"], "respond")
    actions.fault_event(quick["id"], "restore")
    actions.report_fault(level=4, title="报表导出慢", reported_at=(now - timedelta(hours=40)).isoformat())  # escalates
    actions.report_fault(level=1, title="平台整体宕机", reported_at=(now - timedelta(hours=30)).isoformat())  # missed
    actions.report_fault(level=2, title="上周的故障", reported_at=(now - timedelta(days=3)).isoformat())  # W47
    worker_ticks(app)
    items = {(i["record_key"], i["period"]): i for i in actions.records()}
    check = items[("daily_check_book", "2026-W48")]["deliverable_id"]
    actions.upload(check, "检查正常".encode(), "检查记录.txt")
    weekly = items[("ops_weekly_report", "2026-W48")]["deliverable_id"]
    v = actions.draft(weekly, "docx", expect=201).json
    doc = docx.Document(io.BytesIO(client.get(f"/api/versions/{v['id']}/file", headers=world.h("pm")).data))
    api = client.get("/api/projects/P1/sla?from=2026-11-23&to=2026-11-29", headers=world.h("pm")).json

    sla = [[c.text for c in r.cells] for r in _table(doc, "级别").rows[1:]]
    assert [r[0] for r in sla] == ["一级", "二级", "三级", "四级", "合计"]
    for row, want in zip(sla, api["levels"] + [api["total"]]):
        assert [int(x) for x in row[1:6]] == [want["faults"], want["within_sla"], want["missed"], want["pending"],
                                              want["escalated"]], (row, want)
        assert _number(row[6]) == want["percent_within_sla"]
    assert api["total"]["faults"] == 3 and api["total"]["missed"] >= 1  # the figures are not all zeros

    faults = [[c.text for c in r.cells] for r in _table(doc, "单号").rows[1:]]
    titles = [r[3] for r in faults]
    assert sorted(titles) == sorted(["门禁系统无法开门", "平台整体宕机", "报表导出慢"])  # not last week's
    assert all(r[0].startswith("P1-") for r in faults)
    assert any("→" in r[2] for r in faults)  # the escalated one shows where it went

    records = {r.cells[0].text: r for r in _table(doc, "记录").rows[1:]}
    assert "系统日常检查记录册" in records or any("检查" in k for k in records)
    row = next(r for k, r in records.items() if "检查" in k)
    assert [c.text for c in row.cells][3] == "已提交" and row.cells[2].text == "2026-W48"
    assert "系统运行报告" not in records  # the report does not list itself
