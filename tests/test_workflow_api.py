"""Sign-off workflows through HTTP (issue 13): chains of steps, quorum, order, rejection,
snapshots, per-document overrides, what the client sees at her step, /api/me/tasks."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import event

CHAIN4 = [{"key": "check", "name_zh": "校对", "role": "engineer"},
          {"key": "review", "name_zh": "审核", "role": "pm"},
          {"key": "approve", "name_zh": "批准", "role": "pm", "quorum": "all"},
          {"key": "confirm", "name_zh": "确认", "role": "client"}]


@pytest.fixture
def team(app, client, world):
    """P1 also has engineer2 and pm3 (and pm2): two engineers, three pms."""
    from core import db
    from core.users import create_user
    with app.app_context():
        for name, role in (("engineer2", "engineer"), ("pm3", "pm")):
            _, world.tokens[name] = create_user(name, role, display_name=name.upper())
        db.session().commit()
    for name in ("engineer2", "pm3", "pm2"):
        r = client.post("/api/projects/P1/members", json={"username": name}, headers=world.h("admin"))
        assert r.status_code == 201, r.json
    return world


def put_workflow(client, world, body, who="pm", code="P1"):
    return client.put(f"/api/projects/{code}/workflow", json=body, headers=world.h(who))


def step_of(client, world, deliverable_id, who="pm"):
    return client.get(f"/api/deliverables/{deliverable_id}/versions", headers=world.h(who)).json[0]["step"]


def test_default_workflow_and_signoff_steps(actions, client, world):
    r = client.get("/api/projects/P1/workflow", headers=world.h("client"))
    assert r.status_code == 200
    assert [(s["key"], s["name_zh"], s["role"], s["quorum"]) for s in r.json["steps"]] == \
        [("review", "审核", "pm", "any"), ("confirm", "确认", "client", "any")]
    d = actions.deliverable("test_plan")
    v = actions.upload(d["id"], b"v1", "a.txt")
    assert v["step"] == {"key": "review", "name_zh": "审核", "role": "pm"}
    assert actions.sign(v["id"], "pm").json["step"] == "review"
    assert step_of(client, world, d["id"]) == {"key": "confirm", "name_zh": "确认", "role": "client"}
    actions.sign(v["id"], "client", expect=201)
    hist = client.get(f"/api/deliverables/{d['id']}/versions", headers=world.h("pm")).json
    assert hist[0]["step"] is None and [s["step"] for s in hist[0]["signoffs"]] == ["review", "confirm"]


def test_four_step_chain_with_quorum_all(actions, client, team):
    world = team
    assert put_workflow(client, world, {"steps": CHAIN4}).status_code == 200
    d = actions.deliverable("test_plan")
    v = actions.upload(d["id"], b"v1", "a.txt", who="engineer2")
    assert v["step"]["key"] == "check" and actions.status(d["id"]) == "draft"
    # the uploader may not approve his own version; order is enforced
    r = actions.sign(v["id"], "engineer2")
    assert r.status_code == 403 and r.json["error"]["code"] == "own_upload"
    r = actions.sign(v["id"], "pm")
    assert r.status_code == 409 and r.json["error"]["code"] == "not_your_step"
    assert actions.sign(v["id"], "client").status_code == 404  # not at her step: invisible
    assert actions.sign(v["id"], "engineer").status_code == 201
    assert actions.status(d["id"]) == "in_review" and step_of(client, world, d["id"])["key"] == "review"
    r = actions.sign(v["id"], "engineer")
    assert r.status_code == 409 and r.json["error"]["code"] == "not_your_step"  # nobody acts twice
    assert actions.sign(v["id"], "pm").status_code == 201
    assert step_of(client, world, d["id"])["key"] == "approve"
    # 批准 needs every pm who has not acted yet: pm2 and pm3 (pm did 审核)
    r = actions.sign(v["id"], "pm")
    assert r.status_code == 409 and r.json["error"]["code"] == "not_your_step"
    assert actions.sign(v["id"], "pm2").status_code == 201
    assert step_of(client, world, d["id"])["key"] == "approve"
    waiting = client.get(f"/api/deliverables/{d['id']}", headers=world.h("pm")).json["waiting"]
    assert waiting["step"] == "approve" and waiting["users"] == ["PM3"]
    assert actions.sign(v["id"], "pm3").status_code == 201
    assert step_of(client, world, d["id"])["key"] == "confirm"
    assert actions.status(d["id"]) == "in_review"
    r = actions.sign(v["id"], "client")
    assert r.status_code == 201 and r.json["deliverable_status"] == "signed_off"
    hist = client.get(f"/api/deliverables/{d['id']}/versions", headers=world.h("client")).json
    assert [(s["step"], s["meaning"]) for s in hist[0]["signoffs"]] == [
        ("check", "校对"), ("review", "审核"), ("approve", "批准"), ("approve", "批准"), ("confirm", "确认")]


def test_rejection_at_step_two_and_the_next_version_starts_at_step_one(actions, client, team):
    world = team
    put_workflow(client, world, {"steps": CHAIN4})
    d = actions.deliverable("test_plan")
    v1 = actions.upload(d["id"], b"v1", "a.txt", who="engineer2")
    actions.sign(v1["id"], "engineer", expect=201)
    r = actions.sign(v1["id"], "pm", "reject", "缺少停车子系统")
    assert r.status_code == 201 and r.json["step"] == "review"
    assert actions.status(d["id"]) == "rejected" and step_of(client, world, d["id"]) is None
    r = actions.sign(v1["id"], "pm2")
    assert r.status_code == 409 and r.json["error"]["code"] == "version_rejected"
    v2 = actions.upload(d["id"], b"v2", "a.txt", who="engineer2")
    assert v2["step"]["key"] == "check" and actions.status(d["id"]) == "draft"
    r = actions.sign(v1["id"], "engineer")
    assert r.status_code == 409 and r.json["error"]["code"] == "not_latest"


def test_changed_workflow_does_not_touch_versions_in_flight(actions, client, team):
    world = team
    d = actions.deliverable("test_plan")
    v1 = actions.upload(d["id"], b"v1", "a.txt")  # default chain: 审核 → 确认
    assert put_workflow(client, world, {"steps": CHAIN4}).status_code == 200
    assert step_of(client, world, d["id"])["key"] == "review"
    actions.sign(v1["id"], "pm", expect=201)
    assert step_of(client, world, d["id"])["key"] == "confirm"  # no 批准 for this version
    actions.sign(v1["id"], "client", expect=201)
    assert actions.status(d["id"]) == "signed_off"
    v2 = actions.upload(d["id"], b"v2", "a.txt", who="engineer2")
    assert v2["step"]["key"] == "check"  # a later version takes the new chain


def test_per_document_override(actions, client, team):
    world = team
    body = {"steps": [{"key": "review", "name_zh": "审核", "role": "pm"},
                      {"key": "confirm", "name_zh": "确认", "role": "client"}],
            "documents": {"user_manual": [{"key": "review", "name_zh": "审核", "role": "pm"},
                                          {"key": "approve", "name_zh": "批准", "role": "pm", "users": ["pm3"],
                                           "due_days": 2},
                                          {"key": "confirm", "name_zh": "确认", "role": "client"}]}}
    r = put_workflow(client, world, body, who="admin")
    assert r.status_code == 200, r.json
    assert [s["key"] for s in r.json["documents"]["user_manual"]] == ["review", "approve", "confirm"]
    assert r.json["documents"]["user_manual"][1]["users"] == ["pm3"]
    assert client.get("/api/projects/P1/workflow", headers=world.h("engineer")).json == r.json
    manual, plan = actions.deliverable("user_manual"), actions.deliverable("test_plan")
    vm = actions.upload(manual["id"], b"m", "m.txt")
    vp = actions.upload(plan["id"], b"p", "p.txt")
    actions.sign(vm["id"], "pm", expect=201)
    actions.sign(vp["id"], "pm", expect=201)
    assert step_of(client, world, plan["id"])["key"] == "confirm"
    assert step_of(client, world, manual["id"])["key"] == "approve"
    # only the named member acts at 批准; its due time is two working days later
    r = actions.sign(vm["id"], "pm2")
    assert r.status_code == 409 and r.json["error"]["code"] == "not_your_step"
    listed = {x["document_key"]: x for x in
              client.get("/api/projects/P1/deliverables", headers=world.h("pm")).json}
    waiting = listed["user_manual"]["waiting"]
    assert waiting["step"] == "approve" and waiting["users"] == ["PM3"] and waiting["due_at"]
    # the clock starts on Wed 2026-11-25 10:00 Shanghai: two working days later is Fri 27th
    assert waiting["due_at"].startswith("2026-11-27T10:00")
    # the register filters by step (key or Chinese name)
    for value in ("approve", "批准"):
        keys = [x["document_key"] for x in client.get("/api/projects/P1/deliverables", query_string={"step": value},
                                                      headers=world.h("pm")).json]
        assert keys == ["user_manual"], value
    assert [x["document_key"] for x in client.get("/api/projects/P1/deliverables", query_string={"step": "确认"},
                                                  headers=world.h("pm")).json] == ["test_plan"]
    assert actions.sign(vm["id"], "pm3").status_code == 201


def test_working_days_skip_weekends_and_holidays_and_count_adjusted_workdays(app):
    from datetime import date, datetime, timezone
    from catalog.loader import Catalog
    from deliverables import workflow
    cat = Catalog((), (), (), frozenset({date(2026, 10, 1), date(2026, 10, 2)}), frozenset({date(2026, 10, 10)}))
    start = datetime(2026, 9, 30, 2, 0, tzinfo=timezone.utc)  # Wed 10:00 Shanghai
    with app.app_context():
        original = workflow.get_catalog
        workflow.get_catalog = lambda: cat
        try:
            # Thu 1st and Fri 2nd are holidays, Sat 3rd/Sun 4th weekend, Mon 5th the first working day
            assert workflow.add_workdays(start, 1) == datetime(2026, 10, 5, 2, 0, tzinfo=timezone.utc)
            # 调休: Saturday 10th is a working day
            assert workflow.add_workdays(datetime(2026, 10, 9, 2, 0, tzinfo=timezone.utc), 1) == \
                datetime(2026, 10, 10, 2, 0, tzinfo=timezone.utc)
        finally:
            workflow.get_catalog = original


def test_client_downloads_the_version_at_her_step_and_not_before(actions, client, team):
    world = team
    put_workflow(client, world, {"steps": CHAIN4})
    d = actions.deliverable("test_plan")
    v = actions.upload(d["id"], b"read me first", "方案.txt", who="engineer2")
    h = world.h("client")

    def sees():
        file_status = client.get(f"/api/versions/{v['id']}/file", headers=h).status_code
        listed = [x["id"] for x in client.get(f"/api/deliverables/{d['id']}/versions", headers=h).json]
        latest = actions.deliverable("test_plan", who="client")["latest_version"]
        found = [x["version_id"] for x in actions.search(who="client", q="read")["hits"]]
        assert found == ([v["id"]] if file_status == 200 else []), found
        return file_status, listed, latest and latest["id"]

    for who in ("engineer", "pm", "pm2"):
        assert sees() == (404, [], None), who
        actions.sign(v["id"], who, expect=201)
    assert sees() == (404, [], None)  # pm3 has not approved yet: still a vendor step
    actions.sign(v["id"], "pm3", expect=201)
    assert sees() == (200, [v["id"]], v["id"])
    assert client.get(f"/api/versions/{v['id']}/file", headers=h).data == b"read me first"
    assert client.get(f"/api/versions/{v['id']}/file", headers=world.h("client2")).status_code == 404
    # bundles keep signed-off versions only
    import zipfile
    z = zipfile.ZipFile(io.BytesIO(client.get("/api/projects/P1/bundle", headers=h).data))
    assert z.namelist() == ["MANIFEST.csv"]
    # she rejects at her step: she still sees what she rejected; a newer version hides it again
    actions.sign(v["id"], "client", "reject", "第3章与合同不符", expect=201)
    assert sees()[0] == 200
    actions.upload(d["id"], b"v2", "方案.txt", who="engineer2")
    assert sees() == (404, [], None)


def test_client_confirming_a_superseded_version_hears_409_not_latest(actions, client, world):
    """A newer version arrived while her confirm form was open: 409 not_latest (not 404), and
    a version that never reached her step stays 404 for her."""
    d = actions.deliverable("test_plan")
    v1 = actions.upload(d["id"], b"first", "plan.txt")
    actions.sign(v1["id"], "pm", expect=201)  # now at her step
    v2 = actions.upload(d["id"], b"second", "plan.txt")
    r = actions.sign(v1["id"], "client", expect=409)
    assert r.json["error"]["code"] == "not_latest"
    v3 = actions.upload(d["id"], b"third", "plan.txt")  # v2 never reached her step
    assert actions.sign(v2["id"], "client", expect=404).json["error"]["code"] == "version_not_found"
    assert actions.sign(v3["id"], "client", expect=404).json["error"]["code"] == "version_not_found"


@pytest.mark.parametrize("body,code", [
    ({"steps": []}, "workflow_no_steps"),
    ({}, "workflow_no_steps"),
    ({"steps": "审核"}, "workflow_no_steps"),
    ({"steps": [{"key": "review", "name_zh": "审核", "role": "boss"},
                {"key": "confirm", "name_zh": "确认", "role": "client"}]}, "workflow_unknown_role"),
    ({"steps": [{"key": "review", "name_zh": "审核", "role": "admin"},
                {"key": "confirm", "name_zh": "确认", "role": "client"}]}, "workflow_unknown_role"),
    ({"steps": [{"key": "review", "name_zh": "审核", "role": "pm"}]}, "workflow_last_not_client"),
    ({"steps": [{"key": "confirm", "name_zh": "确认", "role": "client"}]}, "workflow_no_vendor_step"),
    ({"steps": [{"key": "c1", "name_zh": "确认", "role": "client"}, {"key": "review", "name_zh": "审核", "role": "pm"},
                {"key": "c2", "name_zh": "确认", "role": "client"}]}, "workflow_client_in_between"),
    ({"steps": [{"key": "review", "role": "pm"}, {"key": "review", "role": "client"}]}, "workflow_duplicate_step"),
    ({"steps": [{"key": "review", "role": "pm", "quorum": "most"}, {"key": "c", "role": "client"}]},
     "workflow_bad_step"),
    ({"steps": [{"key": "review", "role": "pm", "due_days": 0}, {"key": "c", "role": "client"}]}, "workflow_bad_step"),
    ({"steps": [{"key": "review", "role": "pm", "due_days": "2"}, {"key": "c", "role": "client"}]},
     "workflow_bad_step"),
    ({"steps": [{"key": "", "role": "pm"}, {"key": "c", "role": "client"}]}, "workflow_bad_step"),
    ({"steps": [{"key": 5, "role": "pm"}, {"key": "c", "role": "client"}]}, "workflow_bad_step"),
    ({"steps": [{"key": "r", "name_zh": "很长很长很长很长很长很长很长很长的名字", "role": "pm"}, {"key": "c", "role": "client"}]},
     "workflow_bad_step"),
    ({"steps": ["审核", "确认"]}, "workflow_bad_step"),
    ({"steps": [{"key": "r\u0000", "role": "pm"}, {"key": "c", "role": "client"}]}, "invalid_text"),
    ({"steps": [{"key": "r", "role": "pm", "users": ["client"]}, {"key": "c", "role": "client"}]},
     "workflow_bad_user"),
    ({"steps": [{"key": "r", "role": "pm", "users": "pm"}, {"key": "c", "role": "client"}]}, "workflow_bad_step"),
    ({"steps": [{"key": "r", "role": "pm", "extra": 1}, {"key": "c", "role": "client"}]}, "workflow_bad_step"),
    ({"steps": [{"key": "r", "role": "pm"}, {"key": "c", "role": "client"}], "documents": {"nope": []}},
     "workflow_bad_document"),
    ({"steps": [{"key": "r", "role": "pm"}, {"key": "c", "role": "client"}], "documents": []},
     "workflow_bad_document"),
    ({"steps": [{"key": "r", "role": "pm"}, {"key": "c", "role": "client"}], "documents": {"user_manual": []}},
     "workflow_no_steps"),
    ({"steps": [{"key": "r", "role": "pm"}, {"key": "c", "role": "client"}], "color": "red"}, "unknown_field"),
])
def test_invalid_workflows_are_400(client, world, body, code):
    r = put_workflow(client, world, body)
    assert r.status_code == 400 and r.json["error"]["code"] == code, r.json
    r = client.put("/api/projects/P1/workflow", json=body, headers=world.h("pm") | {"Accept-Language": "zh-CN"})
    assert r.status_code == 400 and r.json["error"]["message"]


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1, 2]", b"null", b"\xff\xfe", b'{"steps": [null]}'])
def test_malformed_bodies_are_400(client, world, raw):
    r = client.put("/api/projects/P1/workflow", data=raw, content_type="application/json", headers=world.h("pm"))
    assert r.status_code == 400 and "error" in r.json


@pytest.mark.parametrize("who,status", [("engineer", 403), ("client", 403), ("pm2", 404), ("outsider", 404),
                                        ("pm", 200), ("admin", 200)])
def test_who_may_set_the_workflow(client, world, who, status):
    r = put_workflow(client, world, {"steps": CHAIN4[1:]}, who=who)
    assert r.status_code == status, r.json


def test_unchanged_order_of_a_workflow_put_twice(client, world):
    assert put_workflow(client, world, {"steps": CHAIN4}).status_code == 200
    r = put_workflow(client, world, {"steps": CHAIN4[1:]})
    assert [s["key"] for s in r.json["steps"]] == ["review", "approve", "confirm"] and r.json["documents"] == {}


# --- /api/me/tasks ------------------------------------------------------------------------------

def tasks(client, world, who):
    r = client.get("/api/me/tasks", headers=world.h(who))
    assert r.status_code == 200
    return r.json["tasks"]


def test_tasks_of_every_kind(actions, client, world):
    plan, manual = actions.deliverable("test_plan"), actions.deliverable("user_manual")
    vp = actions.upload(plan["id"], b"p", "p.txt")
    vm = actions.upload(manual["id"], b"m", "m.txt")
    signs = [t for t in tasks(client, world, "pm") if t["kind"] == "sign"]
    assert {t["version_id"] for t in signs} == {vp["id"], vm["id"]}
    assert signs[0]["step"]["name_zh"] == "审核" and signs[0]["project"] == "P1"
    assert [t for t in tasks(client, world, "client") if t["kind"] == "sign"] == []
    actions.sign(vp["id"], "pm", expect=201)
    actions.sign(vm["id"], "pm", "reject", "请补充第2章", expect=201)
    client_signs = [t for t in tasks(client, world, "client") if t["kind"] == "sign"]
    assert [(t["version_id"], t["step"]["name_zh"]) for t in client_signs] == [(vp["id"], "确认")]
    assert [t for t in tasks(client, world, "pm") if t["kind"] == "sign"] == []
    revise = [t for t in tasks(client, world, "engineer") if t["kind"] == "revise"]
    assert [(t["deliverable_id"], t["comment"]) for t in revise] == [(manual["id"], "请补充第2章")]
    # faults: the vendor's side while open, the client's once restored
    fid = actions.report_fault(who="client", expect=201).json["id"]
    assert any(t["kind"] == "fault" and t["fault_id"] == fid and t["due_at"] for t in tasks(client, world, "engineer"))
    assert not any(t["kind"] == "fault" for t in tasks(client, world, "client"))
    actions.fault_event(fid, "respond", expect=201)
    actions.fault_event(fid, "restore", expect=201)
    assert [t["fault_id"] for t in tasks(client, world, "client") if t["kind"] == "fault"] == [fid]
    assert not any(t["kind"] == "fault" for t in tasks(client, world, "engineer"))
    # records: due this week or overdue, for the vendor's people
    actions.patch_project("P1", maintenance_start="2026-11-02")
    records = [t for t in tasks(client, world, "engineer") if t["kind"] == "record"]
    assert records and all(t["due_at"] for t in records)
    assert not any(t["kind"] == "record" for t in tasks(client, world, "client"))
    # overdue first
    due = [t["due_at"] for t in tasks(client, world, "engineer") if t["due_at"]]
    assert due == sorted(due) or due[0] < due[-1]


def _make_projects(client, world, n: int) -> None:
    admin = world.h("admin")
    for i in range(n):
        code = f"T{n}X{i}"
        r = client.post("/api/projects", json={"code": code, "name": f"项目{i}", "client": "甲方",
                                               "maintenance_start": "2026-11-02"}, headers=admin)
        assert r.status_code == 201, r.json
        for who in ("pm", "engineer", "client"):
            assert client.post(f"/api/projects/{code}/members", json={"username": who},
                               headers=admin).status_code == 201
        d_id = client.get(f"/api/projects/{code}/deliverables", headers=admin).json[0]["id"]
        r = client.post(f"/api/deliverables/{d_id}/versions", headers=world.h("engineer"),
                        data={"file": (io.BytesIO(f"{code}".encode()), "a.txt")}, content_type="multipart/form-data")
        assert r.status_code == 201
        r = client.post(f"/api/projects/{code}/faults", json={"level": 3, "title": "网络中断", "channel": "phone"},
                        headers=world.h("client"))
        assert r.status_code == 201, r.json


def _count_queries(app, client, world, who: str) -> tuple[int, list]:
    from core import db
    with app.app_context():
        engine = db.engine()
    tasks(client, world, who)  # warm-up: the token's last-use stamp is written at most once a while
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        got = tasks(client, world, who)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements), got


@pytest.mark.parametrize("who", ["pm", "engineer"])
def test_tasks_take_a_constant_number_of_queries(app, client, world, who):
    _make_projects(client, world, 2)
    small, got_small = _count_queries(app, client, world, who)
    _make_projects(client, world, 18)
    big, got_big = _count_queries(app, client, world, who)
    assert len(got_big) > len(got_small) >= 4  # 2 projects: each a sign/record and a fault task
    print(f"[tasks {who}] 2 projects: {small} statements, {len(got_small)} tasks; "
          f"20 projects: {big} statements, {len(got_big)} tasks")
    assert big == small, (small, big)


def test_notices_are_queued_with_the_step_changes(app, actions, client, team):
    """Who is told, written in the sign-off's own transaction (notifications.events)."""
    from sqlalchemy import select, update
    from core import db
    from core.models import User
    from notifications.models import OutboxMessage
    world = team
    app.config["HANDOVER_SMTP_URL"] = "smtp://127.0.0.1:1"
    with app.app_context():
        db.session().execute(update(User).values(email=User.username + "@example.cn"))
        db.session().commit()
    put_workflow(client, world, {"steps": CHAIN4})
    d = actions.deliverable("test_plan")

    def told():
        with app.app_context():
            rows = db.session().execute(select(OutboxMessage.event_key, User.username)
                                        .join(User, User.id == OutboxMessage.user_id)
                                        .order_by(OutboxMessage.id)).all()
        return [(k.split(":")[0] + ":" + k.split(":")[-1], u) for k, u in rows]

    v = actions.upload(d["id"], b"v1", "a.txt", who="engineer2")
    assert told() == [("waiting:check", "engineer")]  # not the uploader
    actions.sign(v["id"], "engineer", expect=201)
    assert told()[1:] == [("waiting:review", "pm"), ("waiting:review", "pm2"), ("waiting:review", "pm3")]
    actions.sign(v["id"], "pm", expect=201)
    assert told()[4:] == [("waiting:approve", "pm2"), ("waiting:approve", "pm3")]  # pm acted already
    actions.sign(v["id"], "pm2", expect=201)
    assert len(told()) == 6  # the step is not complete: nobody new is told
    actions.sign(v["id"], "pm3", expect=201)
    assert told()[6:] == [("waiting:confirm", "client")]
    actions.sign(v["id"], "client", "reject", "第3章与合同不符", expect=201)
    assert told()[7:] == [(f"rejected:{v['id']}", "engineer2")]


def test_unsent_waiting_notices_are_withdrawn_when_the_version_moves_on(app, actions, client, world):
    """Three versions uploaded in a row (an import of history): only the newest one's "waiting"
    notice stays to be sent; a step completed before the worker sent its notice withdraws it."""
    from sqlalchemy import select, update
    from core import db
    from core.models import User
    from notifications.models import OutboxMessage
    app.config["HANDOVER_SMTP_URL"] = "smtp://127.0.0.1:1"
    with app.app_context():
        db.session().execute(update(User).values(email=User.username + "@example.cn"))
        db.session().commit()
    d = actions.deliverable("test_plan")
    vs = [actions.upload(d["id"], f"v{i}".encode(), "a.txt") for i in range(3)]

    def rows():
        with app.app_context():
            return [(k, st) for k, st in db.session().execute(
                select(OutboxMessage.event_key, OutboxMessage.status).order_by(OutboxMessage.id))]

    assert rows() == [(f"waiting:{vs[0]['id']}:review", "skipped"), (f"waiting:{vs[1]['id']}:review", "skipped"),
                      (f"waiting:{vs[2]['id']}:review", "pending")]
    actions.sign(vs[2]["id"], "pm", expect=201)
    assert rows()[2:] == [(f"waiting:{vs[2]['id']}:review", "skipped"), (f"waiting:{vs[2]['id']}:confirm", "pending")]


def test_waiting_by_deliverable_for_completeness_pages(app, actions, client, world):
    from deliverables import workflow
    plan, manual = actions.deliverable("test_plan"), actions.deliverable("user_manual")
    vp = actions.upload(plan["id"], b"p", "p.txt")
    actions.upload(manual["id"], b"m", "m.txt")
    actions.sign(vp["id"], "pm", expect=201)
    with app.app_context():
        got = workflow.waiting_by_deliverable([world.ids["P1"], world.ids["P2"]])
        assert {k: (w.step, w.users) for k, w in got.items()} == {plan["id"]: ("confirm", ["CLIENT"]),
                                                                  manual["id"]: ("review", ["PM"])}
        assert workflow.workdays_left(got[plan["id"]].since) == 0


def test_completeness_lists_what_waits_at_which_step(actions, client, world):
    """GET .../completeness: per phase, the documents waiting at a step and for whom; the
    client sees only what waits for the client's side."""
    plan, manual = actions.deliverable("test_plan"), actions.deliverable("user_manual")
    vp = actions.upload(plan["id"], b"p", "p.txt")
    actions.upload(manual["id"], b"m", "m.txt")
    actions.sign(vp["id"], "pm", expect=201)

    def waiting(who):
        body = client.get("/api/projects/P1/completeness", headers=world.h(who)).json
        return sorted((w["document_key"], w["step"], tuple(w["users"])) for p in body["phases"] for w in p["waiting"])

    assert waiting("pm") == [("test_plan", "confirm", ("CLIENT",)), ("user_manual", "review", ("PM",))]
    assert waiting("client") == [("test_plan", "confirm", ("CLIENT",))]
