"""Headless Chromium through Playwright against the app served on 127.0.0.1."""
from __future__ import annotations

import io
import zipfile

import pytest

from browser_support import browser, live_server, login, new_page  # noqa: F401  (fixtures)
from conftest import PASSWORD

pytestmark = pytest.mark.browser
HOSTILE = "<img src=x onerror=alert(1)>.txt"


def test_pm_portfolio_upload_with_progress_and_sign(actions, live_server, browser):
    d_signed, d_upload = actions.doc_ids(n=2)
    actions.upload(d_signed, "需求规格说明书 正文".encode(), "需求规格说明书.txt")  # the engineer's version
    page = new_page(browser)
    login(page, live_server, "pm")
    assert page.locator("section.project[data-project=P1]").is_visible()
    assert page.locator("section.project[data-project=P1] .bar-row").count() >= 5
    # drag-and-drop a 24 MB file, upload it and watch the progress bar
    page.goto(f"{live_server}/deliverables/{d_upload}")
    # a slow uplink (Chromium network emulation), so the bar has something to show
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 5, "downloadThroughput": -1,
                                                   "uploadThroughput": 12 * 1024 * 1024})
    percents: list[int] = []
    page.expose_function("reportPct", lambda p: percents.append(int(p)))
    page.evaluate("""() => {
        const box = document.getElementById('progress');
        new MutationObserver(() => window.reportPct(box.getAttribute('data-percent') || '0'))
            .observe(box, {attributes: true, attributeFilter: ['data-percent']});
        const dt = new DataTransfer();
        dt.items.add(new File([new Uint8Array(24 * 1024 * 1024).fill(97)], '大文件-方案.txt', {type: 'text/plain'}));
        document.getElementById('dropzone').dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true}));
    }""")
    assert "大文件-方案.txt" in page.inner_text("#file-name")
    page.fill("input[name=note]", "大文件测试")
    page.click("#upload-button")
    page.wait_for_selector("text=已上传 V1")
    print("progress seen:", percents)
    assert percents and percents[-1] == 100, percents
    assert any(0 < p < 100 for p in percents), percents  # the bar moved on its way
    assert page.locator("table.versions tr[data-version='1']").is_visible()
    assert "大文件测试" in page.inner_text("table.versions")
    # sign the engineer's version, re-entering the password
    page.goto(f"{live_server}/deliverables/{d_signed}")
    page.check("input[name=decision][value=approve]")
    page.fill("textarea[name=comment]", "同意")
    page.fill("#sign-form input[name=password]", PASSWORD)
    page.click("#sign-form button[type=submit]")
    page.wait_for_selector("text=已签署 V1")
    assert "审核通过" in page.inner_text("table.versions")
    assert page.locator("h1 .badge.in_review").is_visible()


def test_client_signs_and_downloads_bundle(actions, live_server, browser):
    (d_id,) = actions.doc_ids(n=1)
    v = actions.upload(d_id, b"final text", "验收报告.txt")
    r = actions.sign(v["id"], "pm")
    assert r.status_code == 201
    page = new_page(browser)
    login(page, live_server, "client")
    page.goto(f"{live_server}/deliverables/{d_id}")
    page.check("input[name=decision][value=approve]")
    page.fill("#sign-form input[name=password]", PASSWORD)
    page.click("#sign-form button[type=submit]")
    page.wait_for_selector("h1 .badge.signed_off")
    page.click("text=客户门户")
    page.click("section[data-project=P1] a:has-text('查看')")
    with page.expect_download() as info:
        page.click("#bundle-link")
    path = info.value.path()
    names = zipfile.ZipFile(io.BytesIO(open(path, "rb").read())).namelist()
    assert "MANIFEST.csv" in names and any(n.endswith("验收报告.txt") for n in names)


def test_client_cannot_open_other_project(world, live_server, browser):
    page = new_page(browser)
    login(page, live_server, "client2")
    resp = page.goto(f"{live_server}/projects/P1")
    assert resp.status == 404
    assert page.locator("header.top").is_visible() and "404" in page.inner_text("h1")
    assert "智慧园区" not in page.content()


def test_hostile_file_name_shows_as_text(actions, live_server, browser):
    (d_id,) = actions.doc_ids(n=1)
    actions.upload(d_id, b"x", HOSTILE, note="<script>alert(2)</script>")
    page = new_page(browser)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    login(page, live_server, "pm")
    for path in (f"/deliverables/{d_id}", "/projects/P1"):
        page.goto(live_server + path)
        page.wait_for_load_state("load")
        assert page.locator("main img").count() == 0
        assert HOSTILE in page.inner_text("main")
    assert page.locator("main script").count() == 0
    assert dialogs == []


def test_language_switch(world, live_server, browser):
    page = new_page(browser)
    login(page, live_server, "pm")
    assert page.get_attribute("html", "lang") == "zh-CN"
    page.click("a.lang")
    page.wait_for_selector("html[lang=en]")
    assert "Portfolio" in page.inner_text("header") and "Log out" in page.inner_text("header")
    page.goto(f"{live_server}/projects/P1")
    assert "Deliverables register" in page.inner_text("h1")
    page.click("a.lang")
    page.wait_for_selector("html[lang=zh-CN]")
    assert "项目总览" in page.inner_text("header")
