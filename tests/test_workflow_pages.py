"""The pages of the sign-off workflow (issue 13) through the Flask test client: the home page's
待办, the deliverable page's chain and stale sign forms, the workflow settings page, the
register's "waits at" column and step filter, in Chinese and English."""
from __future__ import annotations

import html as htmllib
import re

from sqlalchemy import event

from actions import PASSWORD

CHAIN3 = [{"key": "check", "name_zh": "校对", "role": "engineer"},
          {"key": "review", "name_zh": "审核", "role": "pm", "due_days": 2},
          {"key": "confirm", "name_zh": "确认", "role": "client", "due_days": 3}]


def _text(html: str) -> str:
    return htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def _section(html: str, id_: str) -> str:
    start = html.index(f'id="{id_}"')
    return html[start:html.index("</section>", start)]


def _english(client):
    client.get("/lang/en")


def put_workflow(client, world, body, who="pm"):
    r = client.put("/api/projects/P1/workflow", json=body, headers=world.h(who))
    assert r.status_code == 200, r.json
    return r


# --- home page: 待办 -----------------------------------------------------------------------------

def test_home_starts_with_tasks_of_each_kind_and_links(actions, client, world):
    d1, d2 = actions.doc_ids(n=2)
    v1 = actions.upload(d1, b"one", "一.txt")
    v2 = actions.upload(d2, b"two", "二.txt")
    actions.sign(v2["id"], "pm", "reject", comment="第3章缺少网络拓扑图", expect=201)
    actions.login("pm")
    html = client.get("/").get_data(as_text=True)
    assert html.index('id="tasks"') < html.index('class="projects"')  # 待办 first, the portfolio below
    tasks = _section(html, "tasks")
    assert 'data-kind="sign"' in tasks and "待我审核" in tasks
    assert f'href="/deliverables/{d1}#sign-card"' in tasks
    # the engineer: his rejected version with the comment, linking to the upload
    actions.login("engineer")
    tasks = _section(client.get("/").get_data(as_text=True), "tasks")
    assert "被驳回" in tasks and "第3章缺少网络拓扑图" in tasks and f'href="/deliverables/{d2}#upload-card"' in tasks
    assert "待我审核" not in tasks
    # the client: nothing before the pm approved; then 待我确认
    actions.login("client")
    assert 'id="no-tasks"' in client.get("/").get_data(as_text=True)
    actions.sign(v1["id"], "pm", expect=201)
    tasks = _section(client.get("/").get_data(as_text=True), "tasks")
    assert "待我确认" in tasks and f'data-version="{v1["id"]}"' in tasks
    _english(client)
    html = client.get("/").get_data(as_text=True)
    tasks = _section(html, "tasks")
    assert '<h1 id="tasks-title" class="tasks-title">To do' in html
    assert "To confirm" in tasks and "Waiting for my signature" in tasks
    name_en = actions.deliverable_list()[0]["name_en"] if "name_en" in actions.deliverable_list()[0] else None
    assert not re.search(r'class="task-title">[^<]*[\u4e00-\u9fff]', tasks)  # English document names
    if name_en:
        assert f'class="task-title">{name_en} V1<' in tasks


def test_tasks_show_working_days_left_and_overdue_first(actions, client, world, clock):
    put_workflow(client, world, {"steps": [{"key": "review", "name_zh": "审核", "role": "pm", "due_days": 2},
                                           {"key": "confirm", "name_zh": "确认", "role": "client"}]})
    d1, d2 = actions.doc_ids(n=2)
    actions.upload(d1, b"x", "a.txt")
    clock.advance(days=8)
    actions.upload(d2, b"y", "b.txt")  # d1 is overdue by now, d2 has 2 working days
    actions.login("pm")
    tasks = _section(client.get("/").get_data(as_text=True), "tasks")
    items = re.findall(r'<li class="task( overdue)?" data-kind="sign" data-version="\d+" data-deliverable="(\d+)"', tasks)
    assert items == [(" overdue", str(d1)), ("", str(d2))]
    first, second = tasks.split('data-kind="sign" data-version')[1:3]
    assert "逾期" in first and "个工作日" in first and "剩 2 个工作日" in second
    assert "逾期 1 项" in tasks  # the group says how many are overdue
    # the register says the same, with who may act
    html = client.get("/projects/P1").get_data(as_text=True)
    row = html[html.index(f'data-deliverable="{d2}"'):]
    assert "待项目经理审核 · PM · 剩 2 个工作日" in _text(row[:row.index("</tr>")])
    row = html[html.index(f'data-deliverable="{d1}"'):]
    assert "late-text" in row[:row.index("</tr>")]
    # filtered by step
    assert f'data-deliverable="{d1}"' in client.get("/projects/P1?step=review").get_data(as_text=True)
    assert f'data-deliverable="{d1}"' not in client.get("/projects/P1?step=confirm").get_data(as_text=True)
    assert client.get("/projects/P1?step=nonsense").status_code == 200


def test_register_waits_at_column_in_both_languages(actions, client, world):
    (d1,) = actions.doc_ids(n=1)
    v = actions.upload(d1, b"x", "a.txt")
    actions.sign(v["id"], "pm", expect=201)
    actions.login("pm")
    html = client.get("/projects/P1").get_data(as_text=True)
    row = html[html.index(f'data-deliverable="{d1}"'):]
    row = row[:row.index("</tr>")]
    assert "待甲方确认 · CLIENT" in _text(row)
    assert '<option value="confirm" >' in html or 'value="confirm"' in html
    _english(client)
    html = client.get("/projects/P1").get_data(as_text=True)
    row = html[html.index(f'data-deliverable="{d1}"'):]
    row = row[:row.index("</tr>")]
    assert "Client: confirmation · CLIENT" in _text(row), _text(row)
    assert "Waits at" in html and "Sign-off step" in html


def test_portfolio_counts_and_bars_link_to_the_filtered_register(actions, client, world):
    (d1,) = actions.doc_ids(n=1)
    v = actions.upload(d1, b"x", "a.txt")
    actions.sign(v["id"], "pm", expect=201)
    actions.login("pm")
    html = client.get("/").get_data(as_text=True)
    card = html[html.index('data-project="P1"'):]
    assert 'href="/projects/P1?status=missing"' in card and 'href="/projects/P1?status=in_review"' in card
    assert 'href="/projects/P1?step=confirm"' in card
    assert re.search(r'href="/projects/P1\?phase=\w+&amp;status=in_review"', card)
    assert re.search(r'href="/projects/P1\?phase=\w+"', card)
    for link in ("/projects/P1?status=in_review", "/projects/P1?step=confirm"):
        page = client.get(link).get_data(as_text=True)
        assert f'data-deliverable="{d1}"' in page
    assert f'data-deliverable="{d1}"' not in client.get("/projects/P1?status=missing").get_data(as_text=True)


def test_home_tasks_take_a_constant_number_of_queries(app, actions, client, world):
    from core import db
    actions.login("pm")
    counted = []

    def count(*_a, **_k):
        counted.append(1)

    def queries() -> int:
        counted.clear()
        with app.app_context():
            engine = db.engine()
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get("/").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(counted)

    before = queries()
    for d in actions.doc_ids(n=6):
        actions.upload(d, b"x", f"{d}.txt")
    for i in range(3):
        client.post("/api/projects", json={"code": f"Q{i}", "name": f"项目{i}", "client": "甲方"},
                    headers=world.h("pm"))
    assert queries() == before


# --- the deliverable page ----------------------------------------------------------------------

def test_deliverable_page_shows_the_chain_who_may_act_and_the_due(actions, client, world):
    put_workflow(client, world, {"steps": CHAIN3})
    assert client.post("/api/projects/P1/members", json={"username": "pm2"}, headers=world.h("admin")).status_code == 201
    (d1,) = actions.doc_ids(n=1)
    v = actions.upload(d1, b"x", "a.txt", who="pm")
    actions.sign(v["id"], "engineer", comment="已校对", expect=201)
    actions.login("client")
    assert client.get(f"/versions/{v['id']}/download").status_code == 404  # not at her step yet
    html = client.get(f"/deliverables/{d1}").get_data(as_text=True)
    assert 'id="sign-form"' not in html
    actions.login("engineer")
    html = client.get(f"/deliverables/{d1}").get_data(as_text=True)
    card = _section(html, "sign-card")
    assert re.search(r'data-step="check" class="step done"', card)
    assert 'data-step="review" class="step current-step"' in card
    assert "已校对" in card and "ENGINEER" in card
    waiting = card[card.index('id="waiting-now"'):]
    assert "可签署" in waiting and "PM2" in waiting and "剩 2 个工作日" in waiting
    assert 'id="sign-form"' not in html  # the engineer may not act at 审核: no form
    actions.login("pm")  # the uploader: may not approve his own version (he may reject it)
    html = client.get(f"/deliverables/{d1}").get_data(as_text=True)
    assert 'value="approve"' not in html and 'value="reject"' in html
    assert "上传该版本的人不能审核通过自己的版本。" in html


def test_client_reads_and_confirms_the_version_at_her_step(actions, client, world):
    (d1,) = actions.doc_ids(n=1)
    v = actions.upload(d1, "验收报告正文".encode(), "验收报告.txt")
    actions.sign(v["id"], "pm", expect=201)
    actions.login("client")
    html = client.get(f"/deliverables/{d1}").get_data(as_text=True)
    assert 'id="sign-form"' in html and 'id="sign-download"' in html and "通过（确认）" in html
    r = client.get(f"/versions/{v['id']}/download")
    assert r.status_code == 200 and r.data == "验收报告正文".encode()
    assert client.get(f"/versions/{v['id']}/preview").status_code == 200
    r = actions.sign_page(v["id"], d1, comment="同意验收")
    assert r.status_code == 302
    html = client.get(f"/deliverables/{d1}").get_data(as_text=True)
    assert "已签署 V1" in html and "同意验收" in html and 'id="sign-form"' not in html


def _open_sign_form(actions, client, d_id):
    html = client.get(f"/deliverables/{d_id}").get_data(as_text=True)
    form = html[html.rindex("<form", 0, html.index('id="sign-form"')):]
    return {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', form).group(1),
            "step": re.search(r'name="step" value="([^"]*)"', form).group(1),
            "step_name": re.search(r'name="step_name" value="([^"]*)"', form).group(1),
            "action": re.search(r'action="([^"]+)"', form).group(1)}


def test_stale_confirm_says_what_happened_and_keeps_the_comment(actions, client, world):
    (d1,) = actions.doc_ids(n=1)
    v2 = actions.upload(d1, b"v1", "方案.txt")
    actions.sign(v2["id"], "pm", expect=201)
    actions.login("client")
    form = _open_sign_form(actions, client, d1)
    # meanwhile the engineer uploads V2 and the pm approves it
    v3 = actions.upload(d1, b"v2", "方案-修订.txt")
    r = client.post(form["action"], data={"csrf_token": form["csrf_token"], "step": form["step"],
                                          "step_name": form["step_name"], "decision": "approve",
                                          "comment": "第5页的表格请核对", "password": PASSWORD})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/deliverables/{d1}")
    html = client.get(f"/deliverables/{d1}").get_data(as_text=True)
    assert "该文档已有新版本 V2，请查看后再确认。" in html
    assert 'class="new-version"' in html and 'href="#v2"' in html
    assert "第5页的表格请核对" in html  # shown (V2 is not at her step yet, no form)
    assert 'id="sign-form"' not in html
    # nothing was signed
    assert client.get(f"/api/deliverables/{d1}/versions", headers=world.h("pm")).json[1]["signoffs"][-1]["role"] == "pm"
    # once V2 reaches her step, the same stale form comes back into the new form
    actions.sign(v3["id"], "pm", expect=201)
    r = client.post(form["action"], data={"csrf_token": form["csrf_token"], "step": form["step"],
                                          "step_name": form["step_name"], "decision": "approve",
                                          "comment": "第5页的表格请核对", "password": PASSWORD})
    html = client.get(f"/deliverables/{d1}").get_data(as_text=True)
    sign_form = html[html.rindex("<form", 0, html.index('id="sign-form"')):]
    assert "该文档已有新版本 V2" in html
    assert ">第5页的表格请核对</textarea>" in sign_form
    assert f'action="/versions/{v3["id"]}/sign"' in sign_form
    assert "checked" not in sign_form  # the decision is not carried over to another version
    _english(client)
    client.post(form["action"], data={"csrf_token": form["csrf_token"], "step": form["step"],
                                      "step_name": form["step_name"], "decision": "approve",
                                      "comment": "x", "password": PASSWORD})
    html = client.get(f"/deliverables/{d1}").get_data(as_text=True)
    assert "This document has a newer version, V2" in htmllib.unescape(html)


def test_sign_form_for_a_step_that_moved_is_refused_with_the_new_step(actions, client, world):
    put_workflow(client, world, {"steps": [{"key": "review", "name_zh": "审核", "role": "pm"},
                                           {"key": "approve", "name_zh": "批准", "role": "pm"},
                                           {"key": "confirm", "name_zh": "确认", "role": "client"}]})
    r = client.post("/api/projects/P1/members", json={"username": "pm2"}, headers=world.h("admin"))
    assert r.status_code == 201
    (d1,) = actions.doc_ids(n=1)
    v = actions.upload(d1, b"x", "a.txt")
    actions.login("pm")
    form = _open_sign_form(actions, client, d1)
    assert form["step"] == "review"
    actions.sign(v["id"], "pm2", comment="审核通过", expect=201)  # pm2 did 审核 meanwhile: now 批准
    r = client.post(form["action"], data={"csrf_token": form["csrf_token"], "step": form["step"],
                                          "step_name": form["step_name"], "decision": "approve",
                                          "comment": "我的意见", "password": PASSWORD})
    assert r.status_code == 302
    html = client.get(f"/deliverables/{d1}").get_data(as_text=True)
    assert "V1 已进入另一步骤（批准），请查看后再操作。" in html
    sign_form = html[html.rindex("<form", 0, html.index('id="sign-form"')):]
    assert ">我的意见</textarea>" in sign_form and 'name="step" value="approve"' in sign_form
    assert "checked" not in sign_form[:sign_form.index("</form>")]  # decide again, at the new step
    hist = client.get(f"/api/deliverables/{d1}/versions", headers=world.h("pm")).json
    assert [s["user"] if "user" in s else s["role"] for s in hist[0]["signoffs"]] and len(hist[0]["signoffs"]) == 1


def test_other_projects_stale_version_is_still_404(actions, client, world):
    (d1,) = actions.doc_ids(n=1)
    v1 = actions.upload(d1, b"x", "a.txt")
    actions.upload(d1, b"y", "b.txt")
    actions.login("client2")
    token = actions.csrf("/")
    r = client.post(f"/versions/{v1['id']}/sign", data={"csrf_token": token, "decision": "approve",
                                                         "password": PASSWORD})
    assert r.status_code == 404


# --- the workflow settings page ------------------------------------------------------------------

def test_workflow_page_for_pm_and_admin_only_and_linked(actions, client, world):
    actions.login("pm")
    html = client.get("/projects/P1").get_data(as_text=True)
    assert 'id="workflow-link"' in html
    html = client.get("/projects/P1/workflow").get_data(as_text=True)
    assert 'id="chain-project"' in html and 'id="applies-note"' in html and "此后上传的版本" in html
    assert 'name="k0" maxlength="32" size="8" value="review"' in html
    for who in ("engineer", "client"):
        actions.login(who)
        assert 'id="workflow-link"' not in client.get("/projects/P1").get_data(as_text=True)
        assert client.get("/projects/P1/workflow").status_code == 403
    actions.login("client2")
    assert client.get("/projects/P1/workflow").status_code == 404


def _chain_form(client, rows, doc=""):
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get("/projects/P1/workflow").get_data(as_text=True)).group(1)
    data = {"csrf_token": token, "doc": doc, "action": "save"}
    for i, row in enumerate(rows):
        for k, v in row.items():
            data[f"{k}{i}"] = v
    return client.post("/projects/P1/workflow", data=data)


def test_workflow_page_saves_reorders_and_applies_to_later_versions(actions, client, world):
    (d1,) = actions.doc_ids(n=1)
    v1 = actions.upload(d1, b"x", "a.txt")  # in flight with the default chain
    actions.login("pm")
    r = _chain_form(client, [
        {"o": "2", "n": "审核", "k": "review", "r": "pm", "q": "any", "u": "", "d": "3"},
        {"o": "1", "n": "校对", "k": "", "r": "engineer", "q": "all", "u": "engineer", "d": ""},
        {"o": "3", "n": "确认", "k": "confirm", "r": "client", "q": "any", "u": "", "d": "5"},
        {"o": "4", "n": "", "k": "", "r": "", "q": "any", "u": "", "d": ""},
    ])
    assert r.status_code == 302
    wf = client.get("/api/projects/P1/workflow", headers=world.h("pm")).json
    assert [(s["key"], s["name_zh"], s["role"], s["quorum"]) for s in wf["steps"]] == [
        ("check", "校对", "engineer", "all"), ("review", "审核", "pm", "any"), ("confirm", "确认", "client", "any")]
    assert wf["steps"][0]["users"] == ["engineer"] and wf["steps"][1]["due_days"] == 3
    html = client.get("/projects/P1/workflow").get_data(as_text=True)
    assert "签署流程已保存" in html
    # the version in flight keeps its chain; a new one starts at 校对
    assert client.get(f"/api/deliverables/{d1}/versions", headers=world.h("pm")).json[0]["step"]["key"] == "review"
    v2 = actions.upload(d1, b"y", "b.txt", who="pm")
    assert v2["step"]["key"] == "check" and v1["id"] != v2["id"]


def test_workflow_page_refuses_an_invalid_chain_in_the_users_language(actions, client, world):
    actions.login("pm")
    bad = [{"o": "1", "n": "审核", "k": "review", "r": "pm", "q": "any", "u": "", "d": ""}]
    r = _chain_form(client, bad)
    assert r.status_code == 302
    html = client.get("/projects/P1/workflow").get_data(as_text=True)
    assert "最后一个步骤必须由甲方（client）确认。" in html
    assert 'name="n0" maxlength="16" size="6" value="审核"' in html  # the form is refilled
    _english(client)
    _chain_form(client, [{"o": "1", "n": "审核", "k": "review", "r": "pm", "q": "any", "u": "client", "d": "x"},
                         {"o": "2", "n": "确认", "k": "confirm", "r": "client", "q": "any", "u": "", "d": ""}])
    html = htmllib.unescape(client.get("/projects/P1/workflow").get_data(as_text=True))
    assert "Step 1 is not valid" in html or "step 1" in html.lower()
    assert "applies to versions uploaded afterwards" in html
    # nothing was stored
    wf = client.get("/api/projects/P1/workflow", headers=world.h("pm")).json
    assert [s["key"] for s in wf["steps"]] == ["review", "confirm"]


def test_workflow_page_document_override_add_edit_remove(actions, client, world):
    actions.login("pm")
    key = actions.deliverable_list()[0]["document_key"]
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get("/projects/P1/workflow").get_data(as_text=True)).group(1)
    r = client.post("/projects/P1/workflow", data={"csrf_token": token, "doc": key, "action": "add"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"#chain-{key}")
    html = client.get("/projects/P1/workflow").get_data(as_text=True)
    assert f'id="chain-{key}"' in html
    r = _chain_form(client, [{"o": "1", "n": "审核", "k": "review", "r": "pm", "q": "any"},
                             {"o": "2", "n": "批准", "k": "", "r": "pm", "q": "any"},
                             {"o": "3", "n": "确认", "k": "confirm", "r": "client", "q": "any"}], doc=key)
    wf = client.get("/api/projects/P1/workflow", headers=world.h("pm")).json
    assert [s["key"] for s in wf["documents"][key]] == ["review", "approve", "confirm"]
    assert [s["key"] for s in wf["steps"]] == ["review", "confirm"]
    r = client.post("/projects/P1/workflow", data={"csrf_token": token, "doc": key, "action": "remove"})
    assert client.get("/api/projects/P1/workflow", headers=world.h("pm")).json["documents"] == {}
    r = client.post("/projects/P1/workflow", data={"csrf_token": token, "doc": "no_such_doc", "action": "add"})
    assert r.status_code == 302
    assert "不是目录中的文档" in client.get("/projects/P1/workflow").get_data(as_text=True)


def test_workflow_page_odd_input_is_a_message_never_a_500(actions, client, world):
    actions.login("pm")
    for row in ({"o": "²", "n": "<b>审</b>", "k": "review", "r": "pm", "q": "any", "u": "", "d": "²"},
                {"o": "1", "n": "审核", "k": "review", "r": "nobody", "q": "most", "u": "", "d": ""},
                {"o": "1", "n": "审核", "k": "r" * 40, "r": "pm", "q": "any", "u": "ghost, pm", "d": "9999999"}):
        r = _chain_form(client, [row, {"o": "2", "n": "确认", "k": "confirm", "r": "client", "q": "any"}])
        assert r.status_code == 302, row
        html = client.get("/projects/P1/workflow").get_data(as_text=True)
        assert 'class="flash error"' in html and "<b>审</b>" not in html
    assert [s["key"] for s in client.get("/api/projects/P1/workflow", headers=world.h("pm")).json["steps"]] == \
        ["review", "confirm"]


def test_home_tasks_for_faults_and_records(actions, client, world):
    fid = actions.report_fault(who="client", expect=201).json["id"]
    actions.patch_project("P1", maintenance_start="2026-11-02")
    actions.login("engineer")
    html = client.get("/").get_data(as_text=True)
    faults = html[html.index('data-kind="fault"'):]
    assert f'href="/faults/{fid}"' in faults and "门禁系统无法开门" in faults and "截止" in faults
    records = html[html.index('<div class="task-group" data-kind="record"'):]
    assert re.search(r'href="/deliverables/\d+"', records)
    shown = records[:records.index("</ul>")]
    assert shown.count('<li class="task') == min(5, records.count('<li class="task'))  # five, the rest folded
    if records.count('<li class="task') > 5:
        assert '<details class="more-tasks">' in records
    kinds = re.findall(r'<div class="task-group" data-kind="(\w+)"', html)
    assert kinds == [k for k in ("sign", "revise", "fault", "record") if k in kinds]  # faults (hours) first
    actions.login("client")
    html = client.get("/").get_data(as_text=True)
    assert 'data-kind="record"' not in html and 'data-kind="fault"' not in html  # open: the vendor's side
    actions.fault_event(fid, "respond", expect=201)
    actions.fault_event(fid, "restore", expect=201)
    html = client.get("/").get_data(as_text=True)
    assert f'data-fault="{fid}"' in html  # restored: hers to close


def test_register_export_keeps_the_step_filter(actions, client, world):
    d1, d2 = actions.doc_ids(n=2)
    v = actions.upload(d1, b"x", "a.txt")
    actions.sign(v["id"], "pm", expect=201)
    actions.upload(d2, b"y", "b.txt")
    actions.login("pm")
    html = client.get("/projects/P1?step=confirm").get_data(as_text=True)
    assert 'href="/projects/P1/register.csv?step=confirm"' in html
    rows = client.get("/projects/P1/register.csv?step=confirm").get_data(as_text=True).splitlines()
    assert len(rows) == 2 and "a.txt" in rows[1]


def test_client_sees_the_steps_of_a_version_before_her_step_but_not_the_vendors_comments(actions, client, world):
    put_workflow(client, world, {"steps": CHAIN3})
    (d1,) = actions.doc_ids(n=1)
    v = actions.upload(d1, b"x", "a.txt", who="pm")
    actions.sign(v["id"], "engineer", comment="内部：第2节数据有误", expect=201)
    actions.login("client")
    html = client.get(f"/deliverables/{d1}").get_data(as_text=True)
    card = _section(html, "sign-card")
    assert 'id="vendor-steps"' in card and 'data-step="review" class="step current-step"' in card
    assert "内部：第2节数据有误" not in html and "ENGINEER" not in card and "a.txt" not in html
    assert 'id="sign-form"' not in html
