"""The portfolio table (/), the register across projects (/register, its CSV and XLSX) and a
project's sign-offs by week, through the test client: figures and their links, filters, sort,
bad filter values (400), who sees what (admin, engineer, client, client of another org,
outsider), and the SQL twin of the SLA breach rule against the rule itself."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta
from html import unescape

import pytest

from web_support import login


def _html(client, path: str, status: int = 200) -> str:
    r = client.get(path)
    assert r.status_code == status, (path, r.status_code, r.get_data(as_text=True)[:300])
    return r.get_data(as_text=True)


def _row(html: str, code: str) -> str:
    m = re.search(rf'<tr data-project="{code}">(.*?)</tr>', html, re.S)
    assert m, f"no row for {code}"
    return m.group(1)


def _figure(row: str, name: str) -> tuple[str, str]:
    """(href, text) of the figure link `name` in a portfolio row."""
    m = re.search(rf'<a href="([^"]+)" data-figure="{name}"[^>]*>([^<]*)</a>', row)
    assert m, f"no {name} link"
    return unescape(m.group(1)), m.group(2).strip()


def _register_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'<tr data-deliverable="(\d+)"', html)]


@pytest.fixture
def state(actions, upload):
    """P1: doc 0 signed off, doc 1 waiting at the client's step, doc 2 waiting at the pm's,
    one open fault; P2: doc 0 waiting at its client's step."""
    ids = actions.doc_ids("P1", 4)
    v0 = upload(ids[0], b"zero", "zero.txt")
    actions.sign_off(v0["id"])
    v1 = upload(ids[1], b"one", "one.txt")
    actions.sign(v1["id"], "pm")
    upload(ids[2], b"two", "pm-only-two.txt")
    actions.report_fault(who="client", project="P1", expect=201)
    p2 = actions.doc_ids("P2", 1)
    v = upload(p2[0], b"p2", "p2.txt", who="admin")
    actions.sign(v["id"], "pm2")
    return {"P1": ids, "P2": p2}


def test_the_table_shows_each_figure_and_every_number_links_to_its_list(client, world, state):
    login(client, "admin")
    html = _html(client, "/")
    assert 'id="view-cards"' in html and "portfolio-table" not in html  # two projects: cards by default
    html = _html(client, "/?view=table")
    row = _row(html, "P1")
    href, text = _figure(row, "waiting_client")
    assert text == "1" and href == "/register?project=P1&waiting=client"
    assert _register_ids(_html(client, href)) == [state["P1"][1]]
    href, text = _figure(row, "percent")
    assert text.endswith("%") and float(text[:-1]) > 0
    assert _register_ids(_html(client, href)) == [state["P1"][0]]
    href, text = _figure(row, "missing")
    missing = _register_ids(_html(client, href + "&page=1"))
    assert state["P1"][0] not in missing and state["P1"][3] in missing
    href, text = _figure(row, "open_faults")
    assert text == "1" and href == "/projects/P1/maintenance"
    href, text = _figure(row, "overdue_records")
    assert text == "0" and href.startswith("/projects/P1/maintenance?status=overdue")
    href, text = _figure(row, "sla_breaches")
    assert text == "0" and href == "/projects/P1/sla"
    assert _figure(_row(html, "P2"), "waiting_client")[1] == "1"


def test_sort_filter_and_bad_values(client, world, state, actions):
    for i in range(6):  # eight projects: the table is the default view
        assert client.post("/api/projects", json={"code": f"Z{i}", "name": f"项目 {i}", "client": "第三方客户"},
                           headers=world.h("admin")).status_code == 201
    login(client, "admin")
    html = _html(client, "/")
    assert 'id="portfolio-table"' in html
    codes = re.findall(r'<tr data-project="([^"]+)"', html)
    assert codes == sorted(codes) and len(codes) == 8
    desc = re.findall(r'<tr data-project="([^"]+)"', _html(client, "/?sort=percent&dir=desc"))
    assert desc[0] == "P1"  # the only project with a signed-off document
    assert re.findall(r'<tr data-project="([^"]+)"', _html(client, "/?sort=code&dir=desc")) == sorted(codes, reverse=True)
    # the header links sort; the active column says so
    html = _html(client, "/?sort=waiting_client&dir=desc")
    assert 'aria-sort="descending"' in html and 'href="/?sort=waiting_client&amp;dir=asc"' in html
    assert re.findall(r'<tr data-project="([^"]+)"', _html(client, "/?q=p2")) == ["P2"]
    assert re.findall(r'<tr data-project="([^"]+)"', _html(client, "/?q=智慧园区")) == ["P1"]
    assert len(re.findall(r'<tr data-project="', _html(client, "/?client=第三方客户"))) == 6
    # every project has gaps in 启动 (nothing uploaded there by most); P1's first phase documents may be signed
    gaps_any = re.findall(r'<tr data-project="([^"]+)"', _html(client, "/?gaps=any"))
    assert set(gaps_any) == set(codes)
    assert "没有符合筛选条件的项目" in _html(client, "/?q=no-such-project")
    # cards stay available, the filters kept
    cards = _html(client, "/?view=cards&client=第三方客户")
    assert len(re.findall(r'<section class="card project" data-project="Z', cards)) == 6
    for bad in ("/?sort=bogus", "/?dir=sideways", "/?gaps=nope"):
        assert client.get(bad).status_code == 400, bad
    assert client.get("/?view=bogus").status_code == 200  # an unknown view: the default one


def test_register_across_projects_filters(client, world, state):
    login(client, "pm")  # pm of P1 only
    html = _html(client, "/register")
    assert set(re.findall(r'data-project="([^"]+)"', html)) == {"P1"}
    assert _register_ids(_html(client, "/register?status=signed_off")) == [state["P1"][0]]
    assert _register_ids(_html(client, "/register?waiting=pm")) == [state["P1"][2]]
    assert _register_ids(_html(client, "/register?waiting=client")) == [state["P1"][1]]
    step = re.search(r'<option value="([^"]+)"[^>]*>待确认', _html(client, "/register"))
    assert step, "the client's step is offered"
    assert _register_ids(_html(client, f"/register?step={step.group(1)}")) == [state["P1"][1]]
    assert _register_ids(_html(client, "/register?step=no-such-step")) == []
    first_phase = re.search(r'<select name="phase"><option value="">[^<]*</option>\s*<option value="([^"]+)"', html).group(1)
    ids = _register_ids(_html(client, f"/register?phase={first_phase}"))
    assert ids and set(ids) <= set(_register_ids(html))
    for bad in ("phase=nope", "status=nope", "waiting=admin"):
        r = client.get(f"/register?{bad}")
        assert r.status_code == 400, bad
    assert client.get("/register?project=P2").status_code == 404  # not hers: does not exist
    assert client.get("/register.pdf").status_code == 404
    en = client.get("/register?phase=nope", headers={"Accept-Language": "en"})
    assert en.status_code == 400


def test_who_sees_what_across_projects(client, world, state):
    login(client, "admin")
    assert {"P1", "P2"} == set(re.findall(r'data-project="([^"]+)"', _html(client, "/register")))
    assert set(re.findall(r'data-project="([^"]+)"', _html(client, "/register?project=P2"))) == {"P2"}
    client.get("/logout")
    client.post("/logout")
    login(client, "client")
    html = _html(client, "/register")
    assert set(re.findall(r'data-project="([^"]+)"', html)) == {"P1"}
    # the version waiting at the pm's step does not exist for the client: no file name, no step
    assert "pm-only-two.txt" not in html and "zero.txt" in html and "one.txt" in html
    assert '<option value="pm"' not in html  # a client filters by her own side only
    assert client.get("/register?project=P2").status_code == 404
    table = _html(client, "/")
    assert 'data-project="P2"' not in table
    csv_text = client.get("/register.csv").get_data().decode("utf-8-sig")
    assert "pm-only-two.txt" not in csv_text and "另一个项目" not in csv_text
    client.post("/logout")
    login(client, "client2")
    assert set(re.findall(r'data-project="([^"]+)"', _html(client, "/register"))) == {"P2"}
    client.post("/logout")
    login(client, "outsider")
    assert _register_ids(_html(client, "/register")) == [] and "没有符合筛选条件的文档" in _html(client, "/register")
    assert client.get("/register?project=P1").status_code == 404


def test_exports_hold_every_filtered_row(client, world, state):
    for i in range(5):  # 7 projects, over 200 documents: two pages
        assert client.post("/api/projects", json={"code": f"X{i}", "name": f"项目 {i}", "client": "客户"},
                           headers=world.h("admin")).status_code == 201
    login(client, "admin")
    r = client.get("/register.csv?waiting=client")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.get_data().decode("utf-8-sig"))))
    assert rows[0][:4] == ["序号", "项目编号", "项目名称", "阶段"]
    assert sorted(row[1] for row in rows[1:]) == ["P1", "P2"]
    assert "one.txt" in {row[7] for row in rows[1:]}
    every = list(csv.reader(io.StringIO(client.get("/register.csv").get_data().decode("utf-8-sig"))))
    page = _html(client, "/register")
    n = int(re.search(r'id="register-count">共 (\d+) 份文档', page).group(1))
    assert len(every) - 1 == n > 200  # the export holds every row, the page shows 200
    assert len(_register_ids(page)) == 200 and "/register?page=2" in page
    x = client.get("/register.xlsx?project=P1&status=signed_off")
    assert x.status_code == 200 and "filename*=UTF-8''" in x.headers["Content-Disposition"]
    from openpyxl import load_workbook
    ws = load_workbook(io.BytesIO(x.get_data())).active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[2][:3] == ["序号", "项目编号", "项目名称"] and len(values) == 4
    assert values[3][1] == "P1" and values[3][7] == "zero.txt"
    assert "project=P1" in values[1][0]
    assert client.get("/register.xlsx?status=bogus").status_code == 400


def test_the_breach_count_in_sql_agrees_with_the_rule(app, client, world, actions, clock):
    """counts_by_project (SQL over the stored deadlines) equals the faults the rule says missed
    a deadline, as time passes, with faults answered in time, late, restored and escalated."""
    from maintenance.alerts import counts_by_project
    from maintenance.faults import breaches
    from maintenance.models import Fault
    from projects.models import Project
    from core import db
    from sqlalchemy import select

    made = [actions.report_fault(who="client", level=lv, expect=201).json["id"] for lv in (1, 2, 3, 4, 4)]
    actions.fault_event(made[0], "respond", expect=201)            # in time
    clock.advance(hours=3)
    actions.fault_event(made[1], "respond", expect=201)            # late for a level-2 phone report?
    actions.fault_event(made[1], "restore", expect=201)
    seen = set()
    for step in (0, 5, 30, 200):
        clock.advance(hours=step)
        actions.worker_ticks()
        with app.app_context():
            p1 = db.session().get(Project, world.ids["P1"])
            by_rule = sum(1 for f in db.session().scalars(select(Fault).where(Fault.project_id == p1.id))
                          if any(breaches(f).values()))
            counts = counts_by_project([p1])[p1.id]
        assert counts["sla_breaches"] == by_rule, (step, counts, by_rule)
        assert counts["open_faults"] == 4
        seen.add(by_rule)
    assert len(seen) > 1  # the count moved as deadlines passed
    login(client, "admin")
    assert _figure(_row(_html(client, "/?view=table"), "P1"), "sla_breaches")[1] == str(max(seen))


def test_weekly_signoffs_on_the_page_and_in_the_api(client, world, actions, upload, clock):
    ids = actions.doc_ids("P1", 3)
    v = upload(ids[0], b"a", "a.txt")
    actions.sign_off(v["id"])
    login(client, "pm")
    html = _html(client, "/projects/P1")
    assert 'id="progress-table"' in html and 'id="progress-chart"' not in html  # one week: no chart
    assert "echarts" not in html
    clock.advance(days=15)
    for i in (1, 2):
        v = upload(ids[i], b"b%d" % i, f"b{i}.txt")
        actions.sign_off(v["id"])
    html = _html(client, "/projects/P1")
    assert 'id="progress-chart"' in html and "vendor/echarts/echarts.common.min.js" in html
    data = json.loads(unescape(re.search(r'<script type="application/json" id="progress-data">(.*?)</script>',
                                         html, re.S).group(1)))
    weeks = data["weeks"]
    assert len(weeks) == 3 and [w["signed"] for w in weeks] == [1, 0, 2]
    assert [w["documents"] for w in weeks] == [1, 1, 3]
    r = client.get("/api/projects/P1/progress", headers=world.h("client"))
    assert r.status_code == 200 and r.json["weeks"] == weeks and r.json["total"] > 3
    assert weeks[-1]["percent"] == round(300 / r.json["total"], 1)
    assert client.get("/api/projects/P2/progress", headers=world.h("client")).status_code == 404
    assert "echarts" not in _html(client, "/")  # the library loads only where a chart is drawn


def test_the_portfolio_api_gives_the_table_figures(client, world, state):
    r = client.get("/api/portfolio", headers=world.h("client"))
    assert r.status_code == 200 and [p["code"] for p in r.json["projects"]] == ["P1"]
    p1 = r.json["projects"][0]
    assert p1["waiting_client"] == 1 and p1["open_faults"] == 1 and p1["signed_off"] == 1
    assert p1["missing"] == p1["total"] - 3 == sum(p1["gaps"].values())
    assert {p["code"] for p in client.get("/api/portfolio", headers=world.h("admin")).json["projects"]} == {"P1", "P2"}
