"""The sign-off workflow in headless Chromium (issue 13): from the home page's 待办 to the
deliverable page and back; screenshots of the new pages at desktop and phone width go to
/tmp/wfpages/ (looked at by hand; the test checks they render without horizontal overflow)."""
from __future__ import annotations

from pathlib import Path

import pytest

from browser_support import browser, live_server, login, new_page  # noqa: F401  (fixtures)
from conftest import PASSWORD

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/wfpages")


def _tasks(page):
    return page.locator("#tasks")


def test_pm_approves_from_his_tasks_then_the_client_reads_and_confirms(actions, live_server, browser):
    (d_id,) = actions.doc_ids(n=1)
    v = actions.upload(d_id, "验收报告：系统已按合同完成部署。".encode(), "验收报告.txt")
    page = new_page(browser)
    login(page, live_server, "pm")
    item = _tasks(page).locator(f"li.task[data-kind=sign][data-version='{v['id']}']")
    assert "待我审核" in item.inner_text()
    item.locator("a.task-link").click()
    page.wait_for_url(f"{live_server}/deliverables/{d_id}#sign-card")
    assert page.locator("ol.chain li.current-step[data-step=review]").is_visible()
    page.check("input[name=decision][value=approve]")
    page.fill("#sign-form textarea[name=comment]", "内容完整")
    page.fill("#sign-form input[name=password]", PASSWORD)
    page.click("#sign-form button[type=submit]")
    page.wait_for_selector("text=已签署 V1")
    assert page.locator("ol.chain li.current-step[data-step=confirm]").is_visible()
    page.goto(f"{live_server}/")
    assert page.locator(f"#tasks li.task[data-version='{v['id']}']").count() == 0  # done: off his list

    client = new_page(browser)
    login(client, live_server, "client")
    item = _tasks(client).locator(f"li.task[data-kind=sign][data-version='{v['id']}']")
    assert "待我确认" in item.inner_text()
    item.locator("a.task-link").click()
    client.wait_for_selector("#sign-form")
    # she reads it: download, then the preview
    with client.expect_download() as info:
        client.click("#sign-download")
    assert Path(info.value.path()).read_bytes() == "验收报告：系统已按合同完成部署。".encode()
    client.click("#sign-preview")
    client.wait_for_selector("text=系统已按合同完成部署")
    client.go_back()
    client.check("input[name=decision][value=approve]")
    client.fill("#sign-form textarea[name=comment]", "同意验收")
    client.fill("#sign-form input[name=password]", PASSWORD)
    client.click("#sign-form button[type=submit]")
    client.wait_for_selector("h1 .badge.signed_off")
    assert "同意验收" in client.inner_text("#sign-card")
    client.goto(f"{live_server}/")
    assert client.locator("#no-tasks").is_visible()


def test_engineer_sees_the_rejection_comment_and_uploads_v2(actions, live_server, browser, tmp_path):
    (d_id,) = actions.doc_ids(n=1)
    v1 = actions.upload(d_id, b"first draft", "需求规格说明书.txt")
    actions.sign(v1["id"], "pm", "reject", comment="第3章缺少接口清单，请补充", expect=201)
    page = new_page(browser)
    login(page, live_server, "engineer")
    item = _tasks(page).locator("li.task[data-kind=revise]")
    assert "第3章缺少接口清单，请补充" in item.inner_text() and "被驳回" in item.inner_text()
    item.locator("a.task-link").click()
    page.wait_for_url(f"{live_server}/deliverables/{d_id}#upload-card")
    assert "第3章缺少接口清单，请补充" in page.inner_text("#sign-card")
    f = tmp_path / "需求规格说明书-V2.txt"
    f.write_text("second draft, with 接口清单")
    page.set_input_files("#file-input", str(f))
    page.fill("input[name=note]", "补充接口清单")
    page.click("#upload-button")
    page.wait_for_selector("text=已上传 V2")
    assert page.locator("ol.chain li.current-step[data-step=review]").is_visible()
    page.goto(f"{live_server}/")
    assert page.locator("#tasks li.task[data-kind=revise]").count() == 0
    pm = new_page(browser)
    login(pm, live_server, "pm")
    assert "V2" in pm.inner_text("#tasks li.task[data-kind=sign]")


def test_stale_confirm_shows_the_chinese_message_and_keeps_the_comment(actions, live_server, browser):
    (d_id,) = actions.doc_ids(n=1)
    v1 = actions.upload(d_id, b"v1", "运维方案.txt")
    actions.sign(v1["id"], "pm", expect=201)
    page = new_page(browser)
    login(page, live_server, "client")
    page.goto(f"{live_server}/deliverables/{d_id}")
    page.check("input[name=decision][value=approve]")
    page.fill("#sign-form textarea[name=comment]", "请把值班电话改为 400 开头的号码")
    page.fill("#sign-form input[name=password]", PASSWORD)
    # meanwhile: a new version, approved by the pm, reaches her step
    v2 = actions.upload(d_id, b"v2", "运维方案-修订.txt")
    actions.sign(v2["id"], "pm", expect=201)
    page.click("#sign-form button[type=submit]")
    page.wait_for_selector(".flash.error")
    assert "该文档已有新版本 V2，请查看后再确认" in page.inner_text(".flash.error")
    assert page.input_value("#sign-form textarea[name=comment]") == "请把值班电话改为 400 开头的号码"
    assert not page.is_checked("input[name=decision][value=approve]")  # she decides again, on V2
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "stale-confirm-desktop.png"), full_page=True)
    page.click("#stale-note a.new-version")
    assert page.url.endswith("#v2") and page.locator("tr#v2").is_visible()
    assert actions.status(d_id) == "in_review"  # nothing was signed


def _no_overflow(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_screenshots_of_the_workflow_pages(actions, live_server, browser, client, world):
    SHOTS.mkdir(exist_ok=True)
    r = client.put("/api/projects/P1/workflow", headers=world.h("pm"), json={"steps": [
        {"key": "check", "name_zh": "校对", "role": "engineer"},
        {"key": "review", "name_zh": "审核", "role": "pm", "due_days": 2},
        {"key": "confirm", "name_zh": "确认", "role": "client", "due_days": 3}]})
    assert r.status_code == 200
    assert client.post("/api/projects/P1/members", json={"username": "pm2"}, headers=world.h("admin")).status_code == 201
    ids = actions.doc_ids(n=4)
    v = actions.upload(ids[0], b"x", "系统设计说明书.docx.txt", who="pm")
    actions.sign(v["id"], "engineer", comment="已校对，格式无误", expect=201)
    v = actions.upload(ids[1], b"y", "实施方案.txt", who="pm2")
    actions.sign(v["id"], "engineer", expect=201)
    v = actions.upload(ids[2], b"z", "测试方案.txt", who="engineer")
    v = actions.upload(ids[3], b"w", "培训计划.txt", who="pm2")
    actions.sign(v["id"], "engineer", expect=201)
    actions.sign(v["id"], "pm", "reject", comment="培训对象与合同附件不一致，请按附件三修改", expect=201)
    actions.report_fault(who="client", expect=201)
    actions.patch_project("P1", maintenance_start="2026-09-07")  # weeks of records: some overdue
    for width, tag in ((1280, "desktop"), (390, "phone")):
        page = new_page(browser, width=width, height=900)
        login(page, live_server, "engineer")
        page.screenshot(path=str(SHOTS / f"home-engineer-{tag}.png"), full_page=True)
        assert _no_overflow(page), tag
        page.context.close()
        page = new_page(browser, width=width, height=900)
        login(page, live_server, "pm")
        page.screenshot(path=str(SHOTS / f"home-{tag}.png"), full_page=True)
        assert _no_overflow(page), tag
        page.goto(f"{live_server}/deliverables/{ids[0]}")
        page.screenshot(path=str(SHOTS / f"deliverable-{tag}.png"), full_page=True)
        assert _no_overflow(page), tag
        page.goto(f"{live_server}/projects/P1/workflow")
        page.screenshot(path=str(SHOTS / f"workflow-{tag}.png"), full_page=True)
        assert _no_overflow(page), tag
        page.goto(f"{live_server}/projects/P1")
        page.screenshot(path=str(SHOTS / f"register-{tag}.png"), full_page=True)
        assert _no_overflow(page), tag
        page.click("a.lang")
        page.wait_for_selector("html[lang=en]")
        for path, name in (("/", "home"), (f"/deliverables/{ids[0]}", "deliverable"), ("/projects/P1/workflow", "workflow")):
            page.goto(live_server + path)
            page.screenshot(path=str(SHOTS / f"{name}-en-{tag}.png"), full_page=True)
            assert _no_overflow(page), (name, tag)
        page.context.close()
        page = new_page(browser, width=width, height=900)
        login(page, live_server, "pm2")  # uploaded the version the pm rejected
        assert "培训对象与合同附件不一致" in page.inner_text("#tasks")
        page.screenshot(path=str(SHOTS / f"home-revise-{tag}.png"), full_page=True)
        assert _no_overflow(page), tag
        page.context.close()
