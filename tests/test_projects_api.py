"""Projects, catalog, deliverables and completeness through the HTTP API."""
from __future__ import annotations

import pytest


def test_catalog_has_33_documents_in_project_order(client, world):
    r = client.get("/api/catalog", headers=world.h("engineer"))
    assert r.status_code == 200
    phases = r.json["phases"]
    keys = [p["key"] for p in phases]
    for k in ("requirements", "design", "testing", "training", "acceptance", "maintenance"):
        assert k in keys
    docs = [d for p in phases for d in p["documents"]]
    assert len(docs) == 33 and len({d["key"] for d in docs}) == 33
    assert {"key", "name_zh", "name_en", "stage_zh"} <= set(docs[0])
    assert any(d["name_zh"] == "技术支持手册" for d in docs)
    assert {r_["key"] for r_ in r.json["records"]} >= {"daily_check_book", "ops_weekly_report", "inspection_report"}


def test_create_project_gives_33_missing_deliverables(client, world):
    r = client.post("/api/projects", json={"code": "ZHYQ-01", "name": "智慧园区", "client": "某市"},
                    headers=world.h("pm"))
    assert r.status_code == 201, r.json
    assert r.json["code"] == "ZHYQ-01"
    r = client.get("/api/projects/ZHYQ-01/deliverables", headers=world.h("pm"))
    assert len(r.json) == 33
    assert {d["status"] for d in r.json} == {"missing"}
    assert set(r.json[0]) >= {"id", "document_key", "name_zh", "phase", "status", "latest_version"}
    # the creating pm is a member; another pm is not
    assert client.get("/api/projects/ZHYQ-01", headers=world.h("pm2")).status_code == 404


def test_create_project_conflicts_and_validation(client, world):
    h = world.h("admin")
    assert client.post("/api/projects", json={"code": "P1", "name": "x", "client": "y"}, headers=h).status_code == 409
    for body in ({"name": "x", "client": "y"}, {"code": "X1", "client": "y"}, {"code": "X1", "name": "x"},
                 {"code": 5, "name": "x", "client": "y"}, {"code": "X1", "name": "x" * 201, "client": "y"},
                 {"code": "../x", "name": "x", "client": "y"}, [], "text",
                 {"code": "X1", "name": "x", "client": "y", "warranty_until": "tomorrow"}):
        r = client.post("/api/projects", json=body, headers=h)
        assert r.status_code == 400, body
        assert set(r.json["error"]) == {"code", "message"}
    r = client.post("/api/projects", data="{not json", headers=h | {"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json["error"]["code"] == "malformed_json"


@pytest.mark.parametrize("who", ["engineer", "client"])
def test_only_admin_and_pm_create_projects(client, world, who):
    r = client.post("/api/projects", json={"code": "NEW", "name": "x", "client": "y"}, headers=world.h(who))
    assert r.status_code == 403


def test_visibility_is_per_membership(client, world):
    codes = lambda who: [p["code"] for p in client.get("/api/projects", headers=world.h(who)).json]  # noqa: E731
    assert codes("admin") == ["P1", "P2"]
    assert codes("pm") == ["P1"]
    assert codes("client2") == ["P2"]
    assert codes("outsider") == []
    for path in ("/api/projects/P2", "/api/projects/P2/deliverables", "/api/projects/P2/completeness",
                 "/api/projects/P2/bundle"):
        r = client.get(path, headers=world.h("client"))
        assert r.status_code == 404 and r.json["error"]["code"] == "project_not_found"


def test_patch_project_dates_and_rights(client, world):
    body = {"warranty_until": "2027-12-31", "maintenance_start": "2026-11-02"}
    r = client.patch("/api/projects/P1", json=body, headers=world.h("pm"))
    assert r.status_code == 200 and r.json["warranty_until"] == "2027-12-31"
    assert client.patch("/api/projects/P1", json=body, headers=world.h("engineer")).status_code == 403
    assert client.patch("/api/projects/P1", json=body, headers=world.h("client")).status_code == 403
    assert client.patch("/api/projects/P2", json=body, headers=world.h("pm")).status_code == 404
    assert client.patch("/api/projects/P1", json={"code": "X"}, headers=world.h("pm")).status_code == 400
    assert client.patch("/api/projects/P1", json={"warranty_until": 3}, headers=world.h("pm")).status_code == 400
    r = client.patch("/api/projects/P1", json={"warranty_until": None}, headers=world.h("pm"))
    assert r.json["warranty_until"] is None


def test_completeness_counts_phase_by_phase(actions, client, world):
    d = client.get("/api/projects/P1/deliverables?phase=testing", headers=world.h("pm")).json
    assert [x["document_key"] for x in d] == ["test_plan", "test_cases", "test_report", "integration_test_report"]
    v = actions.upload(d[0]["id"], b"plan", "测试计划.txt")
    actions.sign_off(v["id"])
    actions.upload(d[1]["id"], b"cases", "cases.txt")
    c = client.get("/api/projects/P1/completeness", headers=world.h("client")).json
    assert c["total"] == 33 and c["signed_off"] == 1 and c["percent"] == round(100 / 33, 1)
    testing = next(p for p in c["phases"] if p["key"] == "testing")
    assert testing == testing | {"total": 4, "with_version": 2, "signed_off": 1,
                                 "missing": ["test_report", "integration_test_report"]}


def test_portfolio_completeness_uses_constant_queries(app, client, world):
    from sqlalchemy import event
    engine = app.extensions["handover.db"].kw["bind"]
    counts = []

    def count(*_a, **_k):
        counts[-1] += 1
    client.get("/api/me", headers=world.h("admin"))  # the token's first use is recorded (a write) here
    event.listen(engine, "before_cursor_execute", count)
    try:
        for n in range(3):
            counts.append(0)
            r = client.get("/api/completeness", headers=world.h("admin"))
            assert r.status_code == 200
            assert len(r.json["projects"]) == 2 + n
            client.post("/api/projects", json={"code": f"EXTRA{n}", "name": "x", "client": "y"},
                        headers=world.h("admin"))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert counts[0] == counts[1] == counts[2]


def test_unknown_endpoint_and_method_are_json(client, world):
    r = client.get("/api/nope", headers=world.h("pm"))
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"
    r = client.delete("/api/catalog", headers=world.h("pm"))
    assert r.status_code == 405 and r.json["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic abc", "Bearer "])
def test_bad_tokens_get_401(client, header):
    headers = {"Authorization": header} if header else {}
    r = client.get("/api/projects", headers=headers)
    assert r.status_code == 401 and r.json["error"]["code"] == "unauthorized"


def test_members_api(client, world):
    r = client.post("/api/projects/P1/members", json={"username": "outsider"}, headers=world.h("pm"))
    assert r.status_code == 201
    assert client.get("/api/projects/P1", headers=world.h("outsider")).status_code == 200
    assert client.delete("/api/projects/P1/members/outsider", headers=world.h("pm")).status_code == 204
    assert client.get("/api/projects/P1", headers=world.h("outsider")).status_code == 404
    assert client.post("/api/projects/P1/members", json={"username": "ghost"}, headers=world.h("pm")).status_code == 404
    assert client.post("/api/projects/P1/members", json={"username": "x"}, headers=world.h("client")).status_code == 403


def test_audit_trail_records_writes(app, client, world):
    from sqlalchemy import select
    from core import db
    from core.models import AuditEntry
    client.patch("/api/projects/P1", json={"name": "新名称"}, headers=world.h("pm"))
    with app.app_context():
        last = db.session().scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
        assert last.action == "project.update" and last.username == "pm" and last.project_code == "P1"
        assert last.remote_addr
        actions = set(db.session().scalars(select(AuditEntry.action)))
    assert {"user.create", "project.create", "member.add", "project.update"} <= actions
