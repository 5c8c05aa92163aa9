"""Pages through the Flask test client: visibility (404), escaping, upload/sign/download, exports."""
from __future__ import annotations

import csv
import io
import zipfile

HOSTILE = "<img src=x onerror=alert(1)>.txt"


def test_portfolio_lists_visible_projects_with_bars(actions, client):
    actions.login("pm")
    html = client.get("/").get_data(as_text=True)
    assert "智慧园区综合管理平台" in html and "另一个项目" not in html
    assert 'class="bar-row"' in html and "0/" in html
    actions.login("admin")
    html = client.get("/").get_data(as_text=True)
    assert "智慧园区综合管理平台" in html and "另一个项目" in html


def test_other_projects_pages_are_404(actions, client):
    actions.login("client2")
    d1 = actions.deliverable(project="P1")["id"]
    for path in ("/projects/P1", f"/deliverables/{d1}", "/projects/P1/register.xlsx", "/portal/P1",
                 "/portal/P1/bundle.zip", "/projects/P1/maintenance", "/projects/NOPE"):
        r = client.get(path)
        assert r.status_code == 404, path
        body = r.get_data(as_text=True)
        assert "<html" in body and "Traceback" not in body and "404" in body
    assert client.get("/projects/P2").status_code == 200


def test_upload_sign_download_through_pages(actions, client):
    d_id = actions.deliverable()["id"]
    actions.login("engineer")
    r = actions.upload_page(d_id, b"hello handover", "需求说明.txt", note="第一版")
    assert r.status_code == 201 and r.json["version"] == 1
    html = client.get(f"/deliverables/{d_id}").get_data(as_text=True)
    assert "需求说明.txt" in html and "第一版" in html and "已上传 V1" in html
    # pm signs with the password; wrong password signs nothing
    actions.login("pm")
    vid = actions.latest_version_id(d_id)
    r = actions.sign_page(vid, d_id, password="wrong")
    assert r.status_code == 302
    html = client.get(f"/deliverables/{d_id}").get_data(as_text=True)
    assert "密码错误" in html and 'id="sign-form"' in html
    r = actions.sign_page(vid, d_id, comment="内容齐全 <b>ok</b>")
    html = client.get(f"/deliverables/{d_id}").get_data(as_text=True)
    assert "审核通过" in html and "内容齐全 &lt;b&gt;ok&lt;/b&gt;" in html and 'id="sign-form"' not in html
    # at her step (the pm approved) the client reads what she confirms, and signs it
    actions.login("client")
    assert client.get(f"/versions/{vid}/download").status_code == 200
    html = client.get(f"/deliverables/{d_id}").get_data(as_text=True)
    assert 'id="sign-form"' in html and 'id="upload-form"' not in html
    actions.sign_page(vid, d_id)
    html = client.get(f"/deliverables/{d_id}").get_data(as_text=True)
    assert "已签署" in html and "确认通过" in html
    r = client.get(f"/versions/{vid}/download")
    assert r.status_code == 200 and r.data == b"hello handover"
    assert "attachment" in r.headers["Content-Disposition"]
    # bundle from the portal
    html = client.get("/portal/P1").get_data(as_text=True)
    assert "需求说明.txt" in html and 'id="bundle-link"' in html
    r = client.get("/portal/P1/bundle.zip")
    zf = zipfile.ZipFile(io.BytesIO(r.data))
    assert "MANIFEST.csv" in zf.namelist() and any(n.endswith("需求说明.txt") for n in zf.namelist())


def test_reject_needs_comment_and_client_cannot_upload(actions, client):
    d_id = actions.deliverable()["id"]
    actions.login("engineer")
    actions.upload_page(d_id, b"v1", "a.txt")
    actions.login("pm")
    vid = actions.latest_version_id(d_id)
    actions.sign_page(vid, d_id, decision="reject")
    assert "驳回时必须填写意见" in client.get(f"/deliverables/{d_id}").get_data(as_text=True)
    actions.sign_page(vid, d_id, decision="reject", comment="缺少附录")
    html = client.get(f"/deliverables/{d_id}").get_data(as_text=True)
    assert "已驳回" in html and "缺少附录" in html
    actions.login("client")
    r = actions.upload_page(d_id, b"x", "x.txt")
    assert r.status_code == 403


def test_upload_without_csrf_is_refused(actions, client):
    d_id = actions.deliverable()["id"]
    actions.login("engineer")
    r = client.post(f"/deliverables/{d_id}/upload", data={"file": (io.BytesIO(b"x"), "x.txt")},
                    content_type="multipart/form-data")
    assert r.status_code == 400


def test_empty_upload_and_form_fallback(actions, client):
    d_id = actions.deliverable()["id"]
    actions.login("engineer")
    r = actions.upload_page(d_id, b"", "empty.txt")
    assert r.status_code == 400 and "empty" in r.get_data(as_text=True)
    r = actions.upload_page(d_id, b"plain form", "plain.txt", xhr=False)
    assert r.status_code == 302
    assert "plain.txt" in client.get(f"/deliverables/{d_id}").get_data(as_text=True)


def test_hostile_names_and_comments_are_escaped(actions, client):
    d_id = actions.deliverable()["id"]
    actions.login("engineer")
    assert actions.upload_page(d_id, b"x", HOSTILE, note="<script>alert(2)</script>").status_code == 201
    for path in (f"/deliverables/{d_id}", "/projects/P1"):
        html = client.get(path).get_data(as_text=True)
        assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;.txt" in html
        assert "<script>alert(2)" not in html
    html = client.get("/search?q=onerror").get_data(as_text=True)
    assert "<img src=x" not in html


def test_markdown_preview_is_sanitised(actions, client):
    d_id = actions.deliverable()["id"]
    actions.login("engineer")
    md = b"# Title\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) **bold**\n"
    actions.upload_page(d_id, md, "readme.md")
    vid = actions.latest_version_id(d_id)
    html = client.get(f"/versions/{vid}/preview").get_data(as_text=True)
    assert "<h1>Title</h1>" in html and "<strong>bold</strong>" in html
    assert "<script>alert(1)" not in html and "javascript:" not in html
    actions.upload_page(d_id, b"<b>plain</b>", "notes.txt")
    vid2 = actions.latest_version_id(d_id)
    html = client.get(f"/versions/{vid2}/preview").get_data(as_text=True)
    assert "&lt;b&gt;plain&lt;/b&gt;" in html


def test_generate_draft_from_page(actions, client):
    d_id = actions.deliverable()["id"]
    actions.login("pm")
    token = actions.csrf(f"/deliverables/{d_id}")
    r = client.post(f"/deliverables/{d_id}/draft", data={"csrf_token": token, "format": "md"})
    assert r.status_code == 302
    html = client.get(f"/deliverables/{d_id}").get_data(as_text=True)
    assert ".md" in html and "初稿" in html


def test_register_filter_and_exports(actions, client):
    d_id = actions.deliverable()["id"]
    actions.login("engineer")
    actions.upload_page(d_id, b"x", "=HYPERLINK(1)+2.txt")
    html = client.get("/projects/P1?status=draft").get_data(as_text=True)
    assert html.count("data-deliverable=") == 1
    assert client.get("/projects/P1?status=bogus").status_code == 400
    r = client.get("/projects/P1/register.csv")
    assert r.status_code == 200 and r.data.startswith(b"\xef\xbb\xbf")
    assert "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["序号", "阶段", "文档名称", "状态"]
    assert len(rows) == 1 + 33
    draft = [row for row in rows if row[3] == "草稿"]
    assert len(draft) == 1 and draft[0][5] == "'=HYPERLINK(1)+2.txt" and draft[0][4] == "V1"
    r = client.get("/projects/P1/register.xlsx?status=draft")
    from openpyxl import load_workbook
    ws = load_workbook(io.BytesIO(r.data)).active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert "文档交付清单" in values[0][0] and values[2][0] == "序号"
    assert len(values) == 4 and values[3][3] == "草稿"
    assert client.get("/projects/P1/register.pdf").status_code == 404


def test_client_register_shows_only_signed_versions(actions, client):
    d_id = actions.deliverable()["id"]
    actions.login("engineer")
    actions.upload_page(d_id, b"secret draft", "draft-only.txt")
    actions.login("client")
    html = client.get("/projects/P1").get_data(as_text=True)
    assert "draft-only.txt" not in html
    assert "draft-only.txt" not in client.get("/projects/P1/register.csv").data.decode("utf-8-sig")


def test_search_page(actions, client):
    d_id = actions.deliverable()["id"]
    actions.login("engineer")
    actions.upload_page(d_id, "机房巡检 交换机端口".encode(), "巡检.txt")
    html = client.get("/search?q=交换机").get_data(as_text=True)
    assert "<mark>" in html and "巡检.txt" in html
    assert client.get("/search").status_code == 200
    assert client.get("/search?q=x&project=P2").status_code == 404


def test_maintenance_pages(actions, client):
    actions.login("client")
    html = client.get("/projects/P1/maintenance").get_data(as_text=True)
    assert "报告故障" in html
    token = actions.csrf("/projects/P1/maintenance")
    r = client.post("/projects/P1/faults", data={"csrf_token": token, "level": "3", "channel": "phone",
                                                 "title": "<i>核心交换机</i>宕机"})
    assert r.status_code == 302 and "/faults/" in r.headers["Location"]
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "&lt;i&gt;核心交换机&lt;/i&gt;" in html and "P1-F001" in html
    fault_url = r.headers["Location"]
    actions.login("engineer")
    token = actions.csrf(fault_url)
    r = client.post(fault_url + "/events", data={"csrf_token": token, "kind": "respond"})
    assert r.status_code == 302
    r = client.post(fault_url + "/events", data={"csrf_token": token, "kind": "close"})
    html = client.get(fault_url).get_data(as_text=True)
    assert "已响应" in html and 'role="alert"' in html
    html = client.get("/").get_data(as_text=True)
    assert "P1-F001" in html  # open fault with its deadline on the portfolio


def test_admin_pages(actions, client):
    actions.login("pm")
    assert client.get("/admin/users").status_code == 403
    actions.login("admin")
    token = actions.csrf("/admin/users")
    r = client.post("/admin/users", data={"csrf_token": token, "username": "newbie", "role": "engineer",
                                          "password": "long enough 1", "display_name": "<b>新人</b>"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="new-token"' in html and "&lt;b&gt;新人&lt;/b&gt;" in html
    r = client.post("/admin/users/newbie", data={"csrf_token": token, "action": "token"})
    assert 'id="new-token"' in r.get_data(as_text=True)
    r = client.post("/projects/P1/members", data={"csrf_token": token, "username": "newbie"})
    assert "newbie" in client.get("/projects/P1/members").get_data(as_text=True)
    client.post("/admin/users/newbie", data={"csrf_token": token, "action": "update", "role": "engineer"})
    actions.login("newbie", "long enough 1", expect=401)  # deactivated (checkbox unchecked)


def test_times_are_shown_in_shanghai(actions, client, clock):
    d_id = actions.deliverable()["id"]
    actions.login("engineer")
    actions.upload_page(d_id, b"x", "t.txt")  # clock: 2026-11-25 02:00 UTC = 10:00 Shanghai
    assert "2026-11-25 10:00" in client.get(f"/deliverables/{d_id}").get_data(as_text=True)


def test_fault_form_download_and_on_demand_record_from_pages(actions, client):
    """The maintenance page creates on-demand records; a fault page offers its filled-in form."""
    import io
    from datetime import date
    import docx
    actions.set_project("P1", maintenance_start=date(2026, 11, 2))
    actions.login("pm")
    token = actions.csrf("/projects/P1/maintenance")
    r = client.post("/projects/P1/records", data={"csrf_token": token, "record_key": "complaint_form",
                                                  "title": "<b>门禁投诉</b>"})
    assert r.status_code == 302 and "/deliverables/" in r.headers["Location"]
    page = client.get("/projects/P1/maintenance").get_data(as_text=True)
    assert "&lt;b&gt;门禁投诉&lt;/b&gt;" in page and "<b>门禁投诉</b>" not in page
    r = client.post("/projects/P1/faults", data={"csrf_token": token, "level": "3", "channel": "phone",
                                                 "title": "交换机故障"})
    fault_url = r.headers["Location"]
    assert "下载故障申报表" in client.get(fault_url).get_data(as_text=True)
    r = client.get(fault_url + "/report.docx")
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    text = "".join(c.text for t in docx.Document(io.BytesIO(r.data)).tables for row in t.rows for c in row.cells)
    assert "交换机故障" in text
    actions.login("client2")
    assert client.get(fault_url + "/report.docx").status_code == 404
