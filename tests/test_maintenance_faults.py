"""Fault tickets through the HTTP API: deadlines, escalation, hold, order, roles, input."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)  # the clock fixture's start (10:00 Shanghai)


def ts(dt: datetime) -> datetime:
    return datetime.fromisoformat(dt) if isinstance(dt, str) else dt


@pytest.mark.parametrize("level,channel,respond_h,restore_h", [
    (1, "phone", 1, 12), (2, "onsite", 1, 12), (3, "email", 2, 24), (4, "remote", 2, 24)])
def test_deadlines_in_warranty(actions, level, channel, respond_h, restore_h):
    r = actions.report_fault(level=level, channel=channel)
    assert r.status_code == 201, r.json
    f = r.json
    assert f["level"] == level and f["status"] == "open" and f["escalations"] == [] and f["terms"] == "warranty"
    assert ts(f["reported_at"]) == NOW and f["reported_at"].endswith("+08:00")
    assert ts(f["respond_by"]) == NOW + timedelta(hours=respond_h)
    assert ts(f["restore_by"]) == NOW + timedelta(hours=restore_h)
    assert f["breached"] == {"respond": False, "restore": False}


@pytest.mark.parametrize("channel", ["phone", "email", "remote", "onsite"])
def test_after_warranty_answer_within_2h(actions, channel):
    actions.set_project("P1", warranty_until=date(2026, 11, 24))
    f = actions.report_fault(level=1, channel=channel).json
    assert f["terms"] == "after_warranty"
    assert ts(f["respond_by"]) == NOW + timedelta(hours=2)
    assert ts(f["restore_by"]) == NOW + timedelta(hours=12)


def test_warranty_last_day_counts_in_local_time(actions):
    actions.set_project("P1", warranty_until=date(2026, 11, 24))
    # 23:30 in Shanghai on the last warranty day is 15:30 UTC; 00:30 the next day is 16:30 UTC.
    last = actions.report_fault(channel="email", reported_at="2026-11-24T15:30:00Z").json
    after = actions.report_fault(channel="email", reported_at="2026-11-25T00:30:00+08:00").json
    assert (last["terms"], after["terms"]) == ("warranty", "after_warranty")
    assert ts(last["respond_by"]) == ts(last["reported_at"]) + timedelta(hours=2)


def test_fault_entered_70h_late_escalates_step_by_step(actions, client, world):
    reported = NOW - timedelta(hours=70)
    r = actions.report_fault(level=4, reported_at=reported.isoformat())
    assert r.status_code == 201, r.json
    f = r.json
    steps = [(e["from"], e["to"], ts(e["at"])) for e in f["escalations"]]
    assert steps == [(4, 3, reported + timedelta(hours=24)), (3, 2, reported + timedelta(hours=48)),
                     (2, 1, reported + timedelta(hours=60))]
    assert f["level"] == 1 and f["initial_level"] == 4
    assert ts(f["restore_by"]) == reported + timedelta(hours=72)
    assert f["breached"] == {"respond": True, "restore": True}
    again = client.get(f"/api/faults/{f['id']}", headers=world.h("pm")).json
    assert again["escalations"] == f["escalations"]  # recorded once, not again on read


def test_escalation_on_read_as_time_passes(actions, client, world, clock):
    fid = actions.report_fault(level=2).json["id"]
    clock.advance(hours=12)
    assert client.get(f"/api/faults/{fid}", headers=world.h("pm")).json["level"] == 2  # at the deadline: not yet
    clock.advance(seconds=1)
    f = client.get(f"/api/faults/{fid}", headers=world.h("pm")).json
    assert f["level"] == 1 and [(e["from"], e["to"]) for e in f["escalations"]] == [(2, 1)]
    assert ts(f["escalations"][0]["at"]) == NOW + timedelta(hours=12)
    clock.advance(hours=100)
    listed = client.get("/api/projects/P1/faults", headers=world.h("client")).json
    assert listed[0]["level"] == 1 and len(listed[0]["escalations"]) == 1 and listed[0]["breached"]["restore"]


def test_hold_by_both_parties_stops_escalation(actions, client, world, clock):
    fid = actions.report_fault(level=4).json["id"]
    clock.advance(hours=25)  # 4 -> 3 at +24h
    assert actions.fault_event(fid, "hold_level", who="pm").status_code == 201
    assert actions.fault_event(fid, "hold_level", who="client", note="双方同意不升级").status_code == 201
    clock.advance(hours=200)
    f = client.get(f"/api/faults/{fid}", headers=world.h("pm")).json
    assert [(e["from"], e["to"]) for e in f["escalations"]] == [(4, 3)]
    assert f["level"] == 3 and ts(f["hold"]["effective_at"]) == NOW + timedelta(hours=25)


def test_hold_by_one_party_only_still_escalates(actions, client, world, clock):
    fid = actions.report_fault(level=4).json["id"]
    assert actions.fault_event(fid, "hold_level", who="client").status_code == 201
    clock.advance(hours=70)
    f = client.get(f"/api/faults/{fid}", headers=world.h("pm")).json
    assert f["level"] == 1 and len(f["escalations"]) == 3 and f["hold"]["effective_at"] is None


def test_backdated_hold_removes_escalations_recorded_meanwhile(actions, client, world, clock):
    fid = actions.report_fault(level=3).json["id"]
    clock.advance(hours=30)
    assert client.get(f"/api/faults/{fid}", headers=world.h("pm")).json["level"] == 2
    # both agreed by phone at +1h / +2h; it is entered now
    assert actions.fault_event(fid, "hold_level", who="pm", at=NOW + timedelta(hours=1)).status_code == 201
    assert client.get(f"/api/faults/{fid}", headers=world.h("pm")).json["level"] == 2
    assert actions.fault_event(fid, "hold_level", who="client",
                 at=(NOW + timedelta(hours=2)).isoformat()).status_code == 201
    f = client.get(f"/api/faults/{fid}", headers=world.h("pm")).json
    assert f["level"] == 3 and f["escalations"] == []


def test_full_lifecycle_and_status_filter(actions, client, world, clock):
    fid = actions.report_fault(level=3).json["id"]
    clock.advance(minutes=30)
    assert actions.fault_event(fid, "respond").status_code == 201
    assert actions.fault_event(fid, "note", who="client", note="已电话确认").status_code == 201
    clock.advance(hours=5)
    r = actions.fault_event(fid, "restore", who="pm")
    assert r.status_code == 201 and r.json["status"] == "restored" and r.json["event"]["kind"] == "restore"
    assert client.get("/api/projects/P1/faults?status=restored", headers=world.h("pm")).json[0]["id"] == fid
    assert client.get("/api/projects/P1/faults?status=open", headers=world.h("pm")).json == []
    r = actions.fault_event(fid, "close", who="client")
    assert r.status_code == 201 and r.json["status"] == "closed"
    assert [e["kind"] for e in r.json["events"]] == ["respond", "note", "restore", "close"]
    assert r.json["breached"] == {"respond": False, "restore": False}
    assert client.get("/api/projects/P1/faults?status=bogus", headers=world.h("pm")).status_code == 400


@pytest.mark.parametrize("setup,kind,who,code", [
    ([], "restore", "engineer", "not_responded"),
    ([], "close", "pm", "not_restored"),
    ([("respond", "engineer")], "respond", "pm", "already_responded"),
    ([("respond", "engineer")], "close", "client", "not_restored"),
    ([("respond", "engineer"), ("restore", "engineer")], "restore", "pm", "already_restored"),
    ([("respond", "engineer"), ("restore", "engineer")], "hold_level", "pm", "already_restored"),
    ([("hold_level", "pm")], "hold_level", "pm", "already_held"),
    ([("respond", "engineer"), ("restore", "engineer"), ("close", "pm")], "note", "client", "fault_closed"),
    ([("respond", "engineer"), ("restore", "engineer"), ("close", "pm")], "close", "client", "fault_closed"),
])
def test_events_out_of_order_conflict(actions, setup, kind, who, code):
    fid = actions.report_fault().json["id"]
    for k, w in setup:
        assert actions.fault_event(fid, k, who=w).status_code == 201
    r = actions.fault_event(fid, kind, who=who, note="x")
    assert r.status_code == 409 and r.json["error"]["code"] == code


@pytest.mark.parametrize("kind,who", [("respond", "client"), ("restore", "client"), ("close", "engineer"),
                                      ("hold_level", "engineer"), ("hold_level", "admin")])
def test_role_that_may_not_act_is_403(actions, kind, who):
    fid = actions.report_fault().json["id"]
    if kind == "close":
        actions.fault_event(fid, "respond")
        actions.fault_event(fid, "restore")
    r = actions.fault_event(fid, kind, who=who)
    assert r.status_code == 403 and r.json["error"]["code"] == "role_may_not"


def test_other_projects_fault_is_404(actions, client, world):
    fid = actions.report_fault().json["id"]
    for who in ("pm2", "client2", "outsider"):
        assert client.get(f"/api/faults/{fid}", headers=world.h(who)).status_code == 404
        assert actions.fault_event(fid, "respond", who=who).status_code == 404
        assert client.get(f"/api/faults/{fid}/report.docx", headers=world.h(who)).status_code == 404
    assert actions.report_fault(who="pm2").status_code == 404
    assert client.get("/api/projects/P1/faults", headers=world.h("client2")).status_code == 404
    assert client.get("/api/faults/999999", headers=world.h("admin")).status_code == 404
    assert client.get(f"/api/faults/{fid}", headers={}).status_code == 401


def test_fault_numbers_count_per_project(actions):
    assert [actions.report_fault().json["number"] for _ in range(3)] == [1, 2, 3]
    assert actions.report_fault(who="client2", project="P2").json["number"] == 1


@pytest.mark.parametrize("body,code", [
    ({"level": 5}, "invalid_level"), ({"level": 0}, "invalid_level"), ({"level": "一级"}, "wrong_type"),
    ({"level": True}, "wrong_type"), ({"level": 2.5}, "wrong_type"), ({"level": None}, "missing_field"),
    ({"title": ""}, "missing_field"), ({"title": None}, "missing_field"), ({"title": 7}, "wrong_type"),
    ({"channel": "fax"}, "invalid_choice"), ({"channel": None}, "missing_field"),
    ({"reported_at": "2026-11-25T10:00:01+08:00"}, "time_in_future"),
    ({"reported_at": "yesterday"}, "invalid_datetime"), ({"reported_at": 12}, "wrong_type"),
])
def test_bad_fault_input_is_400(client, world, body, code):
    payload = {"level": 3, "title": "t", "channel": "phone", **body}
    payload = {k: v for k, v in payload.items() if v is not None}
    r = client.post("/api/projects/P1/faults", json=payload, headers=world.h("client"))
    assert r.status_code == 400 and r.json["error"]["code"] == code, r.json


def test_malformed_json_is_400(actions, client, world):
    for data in ("{not json", "[1, 2]", ""):
        r = client.post("/api/projects/P1/faults", data=data, content_type="application/json", headers=world.h("pm"))
        assert r.status_code == 400 and r.json["error"]["code"] == "malformed_json"
    fid = actions.report_fault().json["id"]
    r = client.post(f"/api/faults/{fid}/events", data="{", content_type="application/json", headers=world.h("pm"))
    assert r.status_code == 400


@pytest.mark.parametrize("body,code", [
    ({"kind": "explode"}, "invalid_choice"), ({}, "missing_field"),
    ({"kind": "respond", "at": "2026-11-25T11:00:00+08:00"}, "time_in_future"),
    ({"kind": "respond", "at": "2026-11-25T09:59:00+08:00"}, "time_before_report"),
    ({"kind": "note"}, "missing_field"), ({"kind": "note", "note": 5}, "wrong_type"),
])
def test_bad_event_input_is_400(actions, client, world, body, code):
    fid = actions.report_fault().json["id"]
    r = client.post(f"/api/faults/{fid}/events", json=body, headers=world.h("pm"))
    assert r.status_code == 400 and r.json["error"]["code"] == code, r.json


def test_event_at_may_be_earlier_but_in_order(actions, clock):
    reported = NOW - timedelta(hours=5)
    fid = actions.report_fault(reported_at=reported.isoformat()).json["id"]
    r = actions.fault_event(fid, "respond", at=(reported + timedelta(minutes=20)).isoformat())
    assert r.status_code == 201 and ts(r.json["responded_at"]) == reported + timedelta(minutes=20)
    r = actions.fault_event(fid, "restore", at=(reported + timedelta(minutes=10)).isoformat())
    assert r.status_code == 400 and r.json["error"]["code"] == "time_before_previous"
    r = actions.fault_event(fid, "restore", at="2026-11-25T07:00:00")  # no offset: read in HANDOVER_TZ
    assert r.status_code == 201 and ts(r.json["restored_at"]) == datetime(2026, 11, 24, 23, 0, tzinfo=timezone.utc)
