"""Document control (issue 15): document numbers, revision labels, generated front matter."""
from __future__ import annotations

import hashlib
import io
import re
from datetime import date

import docx
import pytest
from alembic import command
from sqlalchemy import text

from actions import worker_ticks
from core.db import make_engine
from core.migrate import alembic_config


def test_every_deliverable_has_a_unique_number_from_the_scheme(actions):
    items = actions.deliverable_list()
    numbers = {d["document_key"]: d["doc_no"] for d in items}
    assert len(set(numbers.values())) == len(numbers) == 33
    # requirements: 需求调研报告, 需求分析报告, 需求变更 in catalog order
    assert numbers["requirements_research"] == "P1-XQ-01"
    assert numbers["requirements_analysis"] == "P1-XQ-02"
    assert numbers["support_manual"] == "P1-YW-02"
    assert all(re.fullmatch(r"P1-[A-Z]{2}-\d\d", n) for n in numbers.values())
    # another project has its own numbers
    p2 = {d["document_key"]: d["doc_no"] for d in actions.deliverable_list("P2", who="pm2")}
    assert p2["requirements_analysis"] == "P2-XQ-02"


def test_number_stable_and_revision_follows_the_rule(actions):
    d = actions.deliverable("test_plan")
    before = d["doc_no"]
    v1 = actions.upload(d["id"], b"one", "a.txt")
    v2 = actions.upload(d["id"], b"two", "a.txt")
    assert (v1["revision"], v2["revision"]) == ("V1.0", "V1.1")
    actions.sign_off(v2["id"])
    v3 = actions.upload(d["id"], b"three", "a.txt")
    v4 = actions.upload(d["id"], b"four", "a.txt")
    assert (v3["revision"], v4["revision"]) == ("V2.0", "V2.1")
    after = actions.deliverable("test_plan")
    assert after["doc_no"] == before and after["latest_version"]["revision"] == "V2.1"


def test_record_instances_are_numbered_by_period(actions, app, client, world):
    actions.set_project("P1", maintenance_start=date(2026, 11, 9))
    worker_ticks(app)
    got = {(r["record_key"], r["period"]): r["doc_no"] for r in actions.records()}
    assert got[("daily_check_book", "2026-W47")] == "P1-JCJL-2026W47"
    assert got[("inspection_report", "2026-11")] == "P1-XJBG-202611"
    r = client.post("/api/projects/P1/records", json={"record_key": "complaint_form"}, headers=world.h("pm"))
    assert r.status_code == 201 and r.json["doc_no"] == "P1-TSSL-E001"


def test_the_numbering_scheme_is_data():
    from catalog.loader import parse_catalog
    import yaml
    from catalog.loader import CATALOG_FILE
    raw = yaml.safe_load(CATALOG_FILE.read_text(encoding="utf-8"))
    raw["numbering"]["document"] = "{project}/{phase}{seq:03d}"
    assert parse_catalog(raw).numbering.document == "{project}/{phase}{seq:03d}"
    raw["numbering"]["document"] = "{project}-{phase}"  # not unique
    with pytest.raises(ValueError):
        parse_catalog(raw)
    raw["numbering"]["document"] = "{project}-{nope}-{seq}"
    with pytest.raises(ValueError):
        parse_catalog(raw)


def test_migration_numbers_existing_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    engine = make_engine(url)
    cfg = alembic_config(url)

    def to(rev):
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, rev)

    to("0007_notifications")
    now = "2026-11-25 01:00:00"
    with engine.begin() as c:
        c.execute(text("INSERT INTO users (id, username, display_name, role, password_hash, organisation, email,"
                       " phone, active, created_at) VALUES (1, 'u', 'U', 'pm', 'x', '', '', '', 1, :n)"), {"n": now})
        c.execute(text("INSERT INTO projects (id, code, name, client, vendor, description, created_at, fault_seq)"
                       " VALUES (1, 'ZHYQ-2026', 'n', 'c', 'v', '', :n, 0)"), {"n": now})
        for i, (kind, key, phase, period) in enumerate([
                ("document", "requirements_research", "requirements", ""),
                ("document", "requirements_analysis", "requirements", ""),
                ("record", "daily_check_book", "maintenance", "2026-W47")], start=1):
            c.execute(text("INSERT INTO deliverables (id, project_id, kind, document_key, phase, position, period,"
                           " title, status, version_count, created_at) VALUES (:i, 1, :k, :key, :ph, :i, :pe,"
                           " 't', 'draft', 0, :n)"), dict(i=i, k=kind, key=key, ph=phase, pe=period, n=now))
        c.execute(text("INSERT INTO blobs (sha256, size, created_at) VALUES ('a', 1, :n)"), {"n": now})
        for number, signed in ((1, None), (2, now), (3, None)):
            c.execute(text("INSERT INTO versions (deliverable_id, number, sha256, size, filename, content_type, note,"
                           " source, uploaded_by_id, created_at, signed_off_at) VALUES (2, :no, 'a', 1, 'f.txt',"
                           " 'text/plain', '', 'upload', 1, :n, :s)"), dict(no=number, n=now, s=signed))
    to("head")
    with engine.connect() as c:
        nos = dict(c.execute(text("SELECT document_key, doc_no FROM deliverables")).all())
        revs = [r for (r,) in c.execute(text("SELECT revision FROM versions ORDER BY number"))]
    engine.dispose()
    assert nos == {"requirements_research": "ZHYQ-2026-XQ-01", "requirements_analysis": "ZHYQ-2026-XQ-02",
                   "daily_check_book": "ZHYQ-2026-JCJL-2026W47"}
    assert revs == ["V1.0", "V1.1", "V2.0"]


def test_number_on_pages_exports_manifest_and_search(actions, client, world):
    import csv
    import zipfile
    d = actions.deliverable("test_plan")
    v = actions.upload(d["id"], "测试计划 控制编号样本".encode(), "plan.txt")
    actions.sign_off(v["id"])
    actions.login("pm")
    assert "P1-CS-01" in client.get("/projects/P1").get_data(as_text=True)
    page = client.get(f"/deliverables/{d['id']}").get_data(as_text=True)
    assert "P1-CS-01" in page and "V1.0" in page
    rows = list(csv.reader(io.StringIO(client.get("/projects/P1/register.csv").data.decode("utf-8-sig"))))
    assert rows[0][-2:] == ["文档编号", "修订版本"]
    row = next(r for r in rows if r[2] == "测试计划")
    assert row[-2:] == ["P1-CS-01", "V1.0"]
    z = zipfile.ZipFile(io.BytesIO(client.get("/api/projects/P1/bundle", headers=world.h("client")).data))
    manifest = list(csv.DictReader(io.StringIO(z.read("MANIFEST.csv").decode("utf-8-sig"))))
    assert [(m["doc_no"], m["revision"]) for m in manifest] == [("P1-CS-01", "V1.0")]
    hits = actions.search(q="控制编号样本")
    assert hits["hits"][0]["doc_no"] == "P1-CS-01" and hits["hits"][0]["revision"] == "V1.0"


# --- generated documents ------------------------------------------------------------------

def _docx(client, world, version_id):
    data = client.get(f"/api/versions/{version_id}/file", headers=world.h("pm")).data
    return docx.Document(io.BytesIO(data))


def _table(doc, first_header):
    return next(t for t in doc.tables if t.rows[0].cells[0].text == first_header
                and len(t.rows[0].cells) == 5)


def _cover(doc):
    return {r.cells[0].text.rstrip("："): r.cells[1].text for r in doc.tables[0].rows}


def test_generated_document_carries_number_history_and_signers(actions, client, world):
    from docx.oxml.ns import qn
    d = actions.deliverable("test_plan")
    v1 = actions.draft(d["id"], "docx").json
    clean = client.post(f"/api/versions/{v1['id']}/strip-hints", headers=world.h("engineer")).json  # signing copy
    actions.sign_off(clean["id"])  # PM approves (审核), CLIENT confirms (确认)
    v2 = actions.upload(d["id"], b"notes", "notes.txt", note="补充测试环境")
    v3 = actions.draft(d["id"], "docx").json
    assert (v1["revision"], clean["revision"], v2["revision"], v3["revision"]) == ("V1.0", "V1.1", "V2.0", "V2.1")
    first, third = _docx(client, world, v1["id"]), _docx(client, world, v3["id"])
    for doc, rev in ((first, "V1.0"), (third, "V2.1")):
        cover = _cover(doc)
        assert cover["文档编号"] == "P1-CS-01" and cover["版本号"] == rev
        assert cover["建设单位"] == "某市城市管理局" and cover["项目编号"] == "P1" and cover["密级"]
        for section in doc.sections[1:]:
            head = "".join(p.text for p in section.header.paragraphs)
            assert "P1-CS-01" in head and rev in head
    # 修订记录 = the stored versions (the generated one last)
    history = _table(third, "版本")
    rows = [[c.text for c in r.cells] for r in history.rows[1:]]
    listed = client.get(f"/api/deliverables/{d['id']}/versions", headers=world.h("pm")).json
    listed = listed["versions"] if isinstance(listed, dict) else listed
    assert [r[0] for r in rows] == [v["revision"] for v in sorted(listed, key=lambda v: v["number"])]
    assert rows[0][2] == "ENGINEER" and rows[0][4] == ""  # the draft itself was never reviewed
    assert rows[1][2] == "ENGINEER" and rows[1][4] == "PM"  # author, and who reviewed the signing copy V1.1
    assert rows[2][3] == "补充测试环境" and re.fullmatch(r"\d{4}-\d\d-\d\d", rows[2][1])
    # 审批: 编制, then the workflow's steps with the signers of the signed-off version
    approvals = {r.cells[0].text: r.cells[2].text for r in _table(third, "角色").rows[1:]}
    assert approvals["编制"] == "ENGINEER" and approvals["审核"] == "PM" and approvals["确认"] == "CLIENT"
    assert _cover(third)["审核"] == "PM" and _cover(third)["编制"] == "ENGINEER"
    approvals1 = {r.cells[0].text: r.cells[2].text for r in _table(first, "角色").rows[1:]}
    assert approvals1["审核"] == "" and approvals1["确认"] == ""  # nobody had signed yet
    # front matter in Roman numerals, the body from 1
    fmts = [(s._sectPr.find(qn("w:pgNumType")).get(qn("w:fmt")), s._sectPr.find(qn("w:pgNumType")).get(qn("w:start")))
            for s in third.sections[1:]]
    assert fmts == [("upperRoman", "1"), ("decimal", "1")]


def test_approvals_come_from_the_signed_versions_own_chain(actions, client, world):
    d = actions.deliverable("test_plan")
    v1 = actions.upload(d["id"], b"one", "a.txt")
    actions.sign_off(v1["id"])  # default chain: 审核 (PM), 确认 (CLIENT)
    steps = [{"key": "check", "name_zh": "校对", "role": "engineer"},
             {"key": "approve", "name_zh": "批准", "role": "pm"},
             {"key": "confirm", "name_zh": "甲方验收", "role": "client"}]
    r = client.put("/api/projects/P1/workflow", json={"steps": steps}, headers=world.h("pm"))
    assert r.status_code == 200, r.json
    v2 = actions.draft(d["id"], "docx").json  # starts with the new chain, nobody signed it yet
    doc = _docx(client, world, v2["id"])
    approvals = [(r.cells[0].text, r.cells[2].text) for r in _table(doc, "角色").rows[1:]]
    # V1's own steps and signers, not today's workflow (which has no 审核 and no 确认)
    assert approvals == [("编制", "ENGINEER"), ("审核", "PM"), ("确认", "CLIENT")]
    assert _cover(doc)["审核"] == "PM" and _cover(doc)["批准"] == ""


# --- forms from live data -----------------------------------------------------------------

def test_fault_form_from_the_ticket(actions, client, world, clock):
    from datetime import datetime
    from docx.oxml.ns import qn
    f = actions.report_fault(level=2, channel="email", title="门禁刷卡无响应",
                             description="东区 3 个出入口无法通行", expect=201).json
    clock.advance(minutes=20)
    actions.fault_event(f["id"], "respond", note="远程排查", expect=201)
    clock.advance(hours=13)  # past the 12 h restore deadline: escalated to 一级
    actions.worker_ticks()
    ticket = client.get(f"/api/faults/{f['id']}", headers=world.h("pm")).json
    doc = docx.Document(io.BytesIO(client.get(f"/api/faults/{f['id']}/report.docx", headers=world.h("pm")).data))
    assert len(doc.tables) == 1
    form = {r.cells[0].text: r.cells[1].text for r in doc.tables[0].rows[1:]}
    local = lambda iso: datetime.fromisoformat(iso).astimezone(  # noqa: E731
        datetime.fromisoformat("2026-01-01T00:00:00+08:00").tzinfo).strftime("%Y-%m-%d %H:%M")
    assert form["单号"] == ticket["ref"] and ticket["ref"] in "".join(p.text for p in doc.paragraphs)
    assert form["响应时限"].startswith(local(ticket["respond_by"])) and "2 小时" in form["响应时限"]
    assert form["恢复时限"].startswith(local(ticket["restore_by"]))
    assert form["申报渠道"].count("■") == 1 and "■电子邮件" in form["申报渠道"]
    assert form["建议等级"] == "□一级　■二级　□三级　□四级"
    assert form["核定等级"] == "□一级　■二级　□三级　□四级"  # accepted when the vendor responded
    assert form["影响范围"] == "东区 3 个出入口无法通行" and form["故障现象"] == "门禁刷卡无响应"
    assert "远程排查" in form["处理过程"] and "自动升级" in form["升级记录"]
    assert "ENGINEER" in form["乙方处理人签字"] and "签字" in form["甲方确认签字"]
    assert "F001" not in "".join(p.text for p in doc.paragraphs if "版本" in p.text)
    for row in doc.tables[0].rows:
        assert row._tr.trPr.find(qn("w:cantSplit")) is not None


def test_check_book_is_a_weekly_grid_of_the_projects_items(actions, app, client, world):
    items = [{"object": "门禁服务器", "item": "服务进程与日志", "standard": "无报错"},
             {"object": "视频平台", "item": "录像完整性", "frequency": "每日"},
             {"object": "停车接口", "item": "数据同步"}]
    assert client.put("/api/projects/P1/check-items", json={"items": items},
                      headers=world.h("engineer")).status_code == 403
    assert client.put("/api/projects/P1/check-items", json={"items": [{"item": "x"}]},
                      headers=world.h("pm")).status_code == 400
    r = client.put("/api/projects/P1/check-items", json={"items": items}, headers=world.h("pm"))
    assert r.status_code == 200 and r.json["default"] is False
    assert client.get("/api/projects/P2/check-items", headers=world.h("pm2")).json["default"] is True
    actions.set_project("P1", maintenance_start=date(2026, 11, 9))
    worker_ticks(app)
    rec = next(x for x in actions.records() if (x["record_key"], x["period"]) == ("daily_check_book", "2026-W47"))
    v = actions.draft(rec["deliverable_id"], "docx").json
    doc = _docx(client, world, v["id"])
    grid = next(t for t in doc.tables if t.rows[0].cells[1].text == "检查对象")
    header = [c.text for c in grid.rows[0].cells]
    assert [h.split("\n")[0] for h in header[-7:]] == ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
    assert header[4] == "周一\n11-16" and header[-1] == "周日\n11-22"
    body = [[c.text for c in row.cells] for row in grid.rows[1:]]
    assert [r[1] for r in body[:3]] == ["门禁服务器", "视频平台", "停车接口"]
    assert body[3][0].startswith("检查人") and body[4][0].startswith("复核人")
    sign = next(t for t in doc.tables if t.rows[0].cells[0].text == "角色")
    assert [r.cells[0].text for r in sign.rows[1:]] == ["检查人", "复核人", "甲方接收"]
    # a record: no cover, no 修订记录, no 目录
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "修订记录" not in text and "目录" not in text and "P1-JCJL-2026W47" in text
    assert len(doc.sections) == 1


# --- 清除填写说明 ----------------------------------------------------------------------------

def test_strip_hints_gives_a_signing_copy_and_the_register_flags_hints(actions, client, world):
    d = actions.deliverable("system_design")
    v1 = actions.draft(d["id"], "docx").json
    assert v1["hints"] and v1["hints"] > 5
    txt = actions.upload(d["id"], b"plain", "n.txt")
    assert txt["hints"] is None
    r = client.post(f"/api/versions/{txt['id']}/strip-hints", headers=world.h("engineer"))
    assert r.status_code == 400 and r.json["error"]["code"] == "not_docx"
    assert client.post(f"/api/versions/{v1['id']}/strip-hints", headers=world.h("client")).status_code in (403, 404)
    r = client.post(f"/api/versions/{v1['id']}/strip-hints", headers=world.h("engineer"))
    assert r.status_code == 201, r.json
    clean = r.json
    assert clean["hints"] == 0 and clean["source"] == "clean" and clean["revision"] == "V1.2"
    assert f"V{v1['number']}" in clean["note"]
    old = client.get(f"/api/versions/{v1['id']}/file", headers=world.h("pm")).data
    assert hashlib.sha256(old).hexdigest() == v1["sha256"]  # the stored version is unchanged
    doc = _docx(client, world, clean["id"])
    assert not [p for p in doc.paragraphs if p.style.style_id == "Hint" and p.text.strip()]
    assert not [p for p in doc.paragraphs if p.text.startswith("（在此插入")]
    assert [p.text for p in doc.paragraphs if p.style.name == "Heading 1"] == \
        [p.text for p in _docx(client, world, v1["id"]).paragraphs if p.style.name == "Heading 1"]
    r = client.post(f"/api/versions/{clean['id']}/strip-hints", headers=world.h("engineer"))
    assert r.status_code == 409 and r.json["error"]["code"] == "no_hints"
    # the register flags a latest version with hints left; the page offers the button
    actions.draft(d["id"], "docx")
    actions.login("pm")
    register = client.get("/projects/P1").get_data(as_text=True)
    assert "含填写说明" in register
    page = client.get(f"/deliverables/{d['id']}").get_data(as_text=True)
    assert 'id="strip-hints"' in page


def test_a_version_with_hints_left_does_not_go_to_the_client(actions, client, world):
    """The pm's approval that would send a draft still holding 填写说明 to the client's step is
    refused (409 hints_left, zh message with the count); the signing copy goes through."""
    d = actions.deliverable("system_design")
    draft = actions.draft(d["id"], "docx").json
    r = actions.sign(draft["id"], "pm", expect=409)
    assert r.json["error"]["code"] == "hints_left"
    zh = client.post(f"/api/versions/{draft['id']}/signoffs", headers={**world.h("pm"), "Accept-Language": "zh-CN"},
                     json={"decision": "approve"}).json["error"]["message"]
    assert f"仍含 {draft['hints']} 条填写说明" in zh
    actions.login("pm")  # the page does not offer 通过 and says why
    page = client.get(f"/deliverables/{d['id']}").get_data(as_text=True)
    assert 'value="approve"' not in page and f"仍含 {draft['hints']} 条填写说明" in page
    actions.sign(draft["id"], "pm", "reject", "请补全", expect=201)  # rejecting stays possible
    clean = client.post(f"/api/versions/{draft['id']}/strip-hints", headers=world.h("engineer")).json
    actions.sign(clean["id"], "pm", expect=201)


def test_strip_hints_command(tmp_path):
    import subprocess
    import sys
    from pathlib import Path
    from templates_docs import render_docx
    from templates_docs.cli import demo_facts
    from templates_docs.hints import count_hints
    src = tmp_path / "in.docx"
    src.write_bytes(render_docx(demo_facts("test_plan")))
    assert count_hints(src.read_bytes()) > 0
    root = Path(__file__).resolve().parents[1]
    r = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "docs", "strip-hints", str(src),
                        str(tmp_path / "out.docx")], cwd=root, capture_output=True, text=True, timeout=120,
                       env={**__import__("os").environ, "HANDOVER_DATA": str(tmp_path / "data")})
    assert r.returncode == 0, r.stderr
    assert count_hints((tmp_path / "out.docx").read_bytes()) == 0 and "条填写说明已清除" in r.stdout
    (tmp_path / "bad.docx").write_bytes(b"not a zip")
    r = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "docs", "strip-hints",
                        str(tmp_path / "bad.docx"), str(tmp_path / "x.docx")], cwd=root, capture_output=True,
                       text=True, timeout=120, env={**__import__("os").environ, "HANDOVER_DATA": str(tmp_path / "data")})
    assert r.returncode == 1 and "not a readable DOCX" in r.stderr
