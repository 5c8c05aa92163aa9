"""The diff between two versions of one deliverable (issue 14, point 5): the contract's JSON
from the extracted text of DOCX, Markdown, text and PDF; 400 for two versions that are not
two versions of one deliverable; a client diffs only versions she may see (404 otherwise);
the page shows the changed sentence marked, in Chinese and English, linked from the
deliverable page; and in Chromium."""
from __future__ import annotations

import io

from browser_support import browser, live_server, login as browser_login, new_page  # noqa: F401  (fixtures)
from search_support import make_docx

V1 = ["系统测试报告", "测试环境：应用服务器两台，数据库服务器一台。", "测试结论：门禁系统功能符合要求。", "附录：测试用例清单。"]
V2 = ["系统测试报告", "测试环境：应用服务器两台，数据库服务器一台。", "测试结论：门禁系统功能和停车场道闸联动均符合要求。",
      "附录：测试用例清单。", "遗留问题：无。"]


def _diff(actions, vid, against, who="pm", expect=200):
    r = actions.client.get(f"/api/versions/{vid}/diff", query_string={"against": against}, headers=actions._h(who))
    assert r.status_code == expect, (r.status_code, r.get_json())
    return r.get_json()


def _pdf(lines: list[str]) -> bytes:
    from reportlab.pdfbase import pdfmetrics  # on demand: only these PDFs need it
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont("STSong-Light", 12)
    for i, line in enumerate(lines):
        c.drawString(72, 760 - 20 * i, line)
    c.save()
    return buf.getvalue()


def test_diff_json_of_docx_versions(actions, backend):
    d = actions.deliverables()["test_report"]
    v1 = actions.upload(d, make_docx(V1), "测试报告.docx")
    v2 = actions.upload(d, make_docx(V2), "测试报告.docx")
    got = _diff(actions, v2["id"], v1["id"])
    assert set(got) >= {"from", "to", "added", "removed", "diff"}
    assert (got["from"]["id"], got["from"]["number"], got["to"]["id"], got["to"]["number"]) == (v1["id"], 1, v2["id"], 2)
    assert got["from"]["sha256"] == v1["sha256"] and got["truncated"] is False
    assert (got["added"], got["removed"]) == (2, 1)
    assert got["diff"][:2] == ["--- V1 测试报告.docx", "+++ V2 测试报告.docx"]
    assert "-测试结论：门禁系统功能符合要求。" in got["diff"]
    assert "+测试结论：门禁系统功能和停车场道闸联动均符合要求。" in got["diff"]
    assert "+遗留问题：无。" in got["diff"]
    assert " 测试环境：应用服务器两台，数据库服务器一台。" in got["diff"]  # context line
    back = _diff(actions, v1["id"], v2["id"])  # the other way round
    assert (back["added"], back["removed"]) == (1, 2) and "-遗留问题：无。" in back["diff"]


def test_diff_of_markdown_text_and_pdf_versions(actions, backend):
    docs = actions.deliverables()
    d = docs["system_design"]
    md1 = actions.upload(d, "---\ntitle: 设计\nversion: 1\n---\n\n# 总体设计\n\n采用三层架构。\n", "设计.md")
    md2 = actions.upload(d, "---\ntitle: 设计\nversion: 2\n---\n\n# 总体设计\n\n采用三层架构。\n", "设计.md")
    same = _diff(actions, md2["id"], md1["id"])
    assert (same["added"], same["removed"], same["diff"]) == (0, 0, [])  # only the front matter changed
    txt = actions.upload(d, "# 总体设计\n\n采用微服务架构。\n", "设计.txt")
    got = _diff(actions, txt["id"], md2["id"])  # a text version against a Markdown one
    assert got["diff"][-2:] == ["-采用三层架构。", "+采用微服务架构。"]
    p = docs["test_plan"]
    pdf1 = actions.upload(p, _pdf(["测试计划", "第一阶段：功能测试。"]), "计划.pdf")
    pdf2 = actions.upload(p, _pdf(["测试计划", "第一阶段：功能测试和性能测试。"]), "计划.pdf")
    got = _diff(actions, pdf2["id"], pdf1["id"])
    assert "-第一阶段：功能测试。" in got["diff"] and "+第一阶段：功能测试和性能测试。" in got["diff"]


def test_diff_refuses_what_is_not_two_versions_of_one_deliverable(actions, backend):
    docs = actions.deliverables()
    v1 = actions.upload(docs["test_report"], "第一版", "a.txt")
    v2 = actions.upload(docs["test_report"], "第二版", "a.txt")
    other = actions.upload(docs["system_design"], "别的文档", "b.txt")
    vsdx = actions.upload(docs["test_report"], b"\x00\x01", "拓扑.vsdx")
    for against, code in (("", "diff_against_missing"), ("abc", "diff_against_invalid"), ("-1", "diff_against_invalid"),
                          ("1e3", "diff_against_invalid"), (str(v2["id"]), "diff_same_version"),
                          (str(other["id"]), "diff_other_deliverable")):
        assert _diff(actions, v2["id"], against, expect=400)["error"]["code"] == code, against
    r = actions.client.get(f"/api/versions/{v2['id']}/diff", headers=actions._h("pm"))
    assert r.status_code == 400 and r.json["error"]["code"] == "diff_against_missing"
    assert _diff(actions, v2["id"], 999999, expect=404)["error"]["code"] == "version_not_found"
    assert _diff(actions, 999999, v1["id"], expect=404)["error"]["code"] == "version_not_found"
    err = _diff(actions, vsdx["id"], v1["id"], expect=409)["error"]
    assert err["code"] == "diff_no_text" and "not_supported" in err["message"]
    p2 = actions.client.get("/api/projects/P2/deliverables", headers=actions._h("admin")).json[0]["id"]
    foreign = actions.upload(p2, "P2 的文件", "c.txt", who="admin")
    assert _diff(actions, v2["id"], foreign["id"], expect=404)["error"]["code"] == "version_not_found"
    assert _diff(actions, foreign["id"], v2["id"], who="admin", expect=400)["error"]["code"] == "diff_other_deliverable"


def test_a_client_diffs_only_versions_she_may_see(actions, backend):
    d = actions.deliverables()["test_report"]
    v1 = actions.upload(d, make_docx(V1), "报告.docx")
    actions.sign_off(v1["id"])
    v2 = actions.upload(d, make_docx(V2), "报告.docx")
    assert _diff(actions, v2["id"], v1["id"], who="client", expect=404)["error"]["code"] == "version_not_found"
    assert _diff(actions, v1["id"], v2["id"], who="client", expect=404)["error"]["code"] == "version_not_found"
    actions.sign(v2["id"], "pm")  # every vendor step approved: V2 waits at the client's step
    got = _diff(actions, v2["id"], v1["id"], who="client")
    assert "+遗留问题：无。" in got["diff"]


def test_diff_page_marks_the_changed_sentence_and_is_linked(actions, backend):
    d = actions.deliverables()["test_report"]
    v1 = actions.upload(d, make_docx(V1), "报告.docx")
    v2 = actions.upload(d, make_docx(V2), "报告.docx")
    actions.login("pm")
    page = actions.client.get(f"/deliverables/{d}").get_data(as_text=True)
    assert f'href="/versions/{v2["id"]}/diff?against={v1["id"]}"' in page and "与 V1 比较" in page
    r = actions.client.get(f"/versions/{v2['id']}/diff")  # without against: the previous version
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "版本比较：V1 → V2" in html
    assert "<ins>和停车场道闸联动均</ins>" in html  # the changed characters, inside the sentence
    assert "<ins>遗留问题：无。</ins>" in html and "diff-added" in html
    r = actions.client.get(f"/versions/{v1['id']}/diff", query_string={"against": v2["id"]})
    assert "<del>和停车场道闸联动均</del>" in r.get_data(as_text=True)
    r = actions.client.get(f"/versions/{v2['id']}/diff", query_string={"against": "x"})
    assert r.status_code == 400 and "against 必须是另一个版本的编号" in r.get_data(as_text=True)
    actions.client.get("/lang/en?next=/")
    html = actions.client.get(f"/versions/{v2['id']}/diff").get_data(as_text=True)
    assert "Compare versions" in html and "Added" in html


def test_diff_page_in_chromium(actions, live_server, browser):  # noqa: F811
    d = actions.deliverables()["test_report"]
    actions.upload(d, make_docx(V1), "报告.docx")
    actions.upload(d, make_docx(V2), "报告.docx")
    page = new_page(browser)
    browser_login(page, live_server, "pm")
    page.goto(f"{live_server}/deliverables/{d}")
    page.click("a.diff-link")
    page.wait_for_selector("table.diff")
    changed = page.locator("tr.diff-changed td.new")
    assert "测试结论：门禁系统功能和停车场道闸联动均符合要求。" in changed.inner_text()
    assert changed.locator("ins").inner_text() == "和停车场道闸联动均"
    assert page.locator("tr.diff-changed td.old").inner_text() == "测试结论：门禁系统功能符合要求。"
    assert page.locator("tr.diff-added ins").inner_text() == "遗留问题：无。"
    style = page.locator("tr.diff-changed ins").evaluate("e => getComputedStyle(e).textDecorationLine")
    assert "underline" in style  # marked by more than colour
    page.set_viewport_size({"width": 390, "height": 800})  # a phone: still readable, no number columns
    assert not page.locator("tr.diff-changed td.no").first.is_visible()
    page.screenshot(path=str(actions.app.config["HANDOVER_DATA"]) + "/diff.png", full_page=True)
