"""GET /api/projects/<code>/sla: per initial level, over dates in HANDOVER_TZ; the fault form DOCX."""
from __future__ import annotations

import io
import zipfile
from datetime import datetime, timedelta, timezone

import pytest

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)


def test_sla_report_per_level(actions, client, world):
    t = NOW - timedelta(days=3)  # 2026-11-22 10:00 Shanghai
    ok = actions.report_fault(level=3, reported_at=t.isoformat(), expect=201).json
    actions.fault_event(ok["id"], "respond", at=t + timedelta(minutes=30), expect=201)
    actions.fault_event(ok["id"], "restore", at=t + timedelta(hours=20), expect=201)
    slow = actions.report_fault(level=3, reported_at=t.isoformat(), expect=201).json  # answered late, restored late
    actions.fault_event(slow["id"], "respond", at=t + timedelta(hours=3), expect=201)
    actions.fault_event(slow["id"], "restore", at=t + timedelta(hours=30), expect=201)
    actions.report_fault(level=4, reported_at=(NOW - timedelta(hours=70)).isoformat(), expect=201)  # escalated 3x
    pending = actions.report_fault(level=1, expect=201).json  # just reported: neither within nor missed
    actions.fault_event(pending["id"], "respond", expect=201)

    r = client.get("/api/projects/P1/sla", headers=world.h("client"))
    assert r.status_code == 200, r.json
    levels = {row["level"]: row for row in r.json["levels"]}
    assert levels[3] == {"level": 3, "name_zh": "三级故障", "faults": 2, "responded_in_time": 1,
                         "restored_in_time": 1, "within_sla": 1, "missed": 1, "pending": 0, "escalated": 1,
                         "escalations": 1, "percent_within_sla": 50.0}
    assert levels[4]["faults"] == 1 and levels[4]["escalated"] == 1 and levels[4]["escalations"] == 3
    assert levels[4]["percent_within_sla"] == 0.0
    assert levels[1]["pending"] == 1 and levels[1]["percent_within_sla"] is None
    assert levels[2]["faults"] == 0
    assert r.json["total"]["faults"] == 4 and r.json["total"]["percent_within_sla"] == pytest.approx(33.3)


def test_sla_report_date_range_uses_local_dates(actions, client, world):
    # 2026-11-23 23:30 Shanghai is 15:30 UTC: it belongs to the 23rd.
    actions.report_fault(level=2, reported_at="2026-11-23T15:30:00Z", expect=201)
    actions.report_fault(level=2, reported_at="2026-11-23T16:30:00Z", expect=201)  # 00:30 on the 24th
    one_day = client.get("/api/projects/P1/sla?from=2026-11-23&to=2026-11-23", headers=world.h("pm")).json
    assert one_day["total"]["faults"] == 1 and one_day["from"] == "2026-11-23"
    assert client.get("/api/projects/P1/sla?from=2026-11-24", headers=world.h("pm")).json["total"]["faults"] == 1
    for bad in ("?from=2026-02-30", "?from=2026-11-24&to=2026-11-23", "?to=tomorrow"):
        r = client.get(f"/api/projects/P1/sla{bad}", headers=world.h("pm"))
        assert r.status_code == 400 and "error" in r.json
    assert client.get("/api/projects/P1/sla", headers=world.h("pm2")).status_code == 404


def test_sla_rules_are_published(client, world):
    r = client.get("/api/sla/rules", headers=world.h("client")).json
    warranty = next(t for t in r["terms"] if t["key"] == "warranty")
    assert warranty["respond_hours"]["email"] == 2 and warranty["restore_hours"]["1"] == 12


def test_fault_report_form_docx(actions, client, world, clock):
    f = actions.report_fault(level=2, description="3号门禁控制器离线", expect=201).json
    clock.advance(minutes=20)
    actions.fault_event(f["id"], "respond", expect=201)
    r = client.get(f"/api/faults/{f['id']}/report.docx", headers=world.h("client"))
    assert r.status_code == 200, r.data[:300]
    assert r.mimetype.endswith("wordprocessingml.document")
    assert "filename*=UTF-8''" in r.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(r.data)) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    for text in ("故障申报表", "某市城市管理局", "3号门禁控制器离线", "二级故障", "ENGINEER"):
        assert text in xml, text
