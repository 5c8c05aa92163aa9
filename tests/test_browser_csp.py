"""Headless Chromium: the pages work under the strict Content-Security-Policy — no violation
is reported (console or `securitypolicyviolation` event), no script error, styles load."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from browser_support import browser, live_server, login, new_page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

# Runs before any page script on every navigation: keeps what the browser reports.
WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' '
                    + (e.sourceFile || '') + ':' + e.lineNumber);
}, true);
"""


def _seed(app, world, client, upload):
    with app.app_context():
        from core import db
        from deliverables.models import Deliverable
        ids = list(db.session().scalars(select(Deliverable.id).where(Deliverable.project_id == world.ids["P1"])
                                        .order_by(Deliverable.position).limit(3)))
    v = upload(ids[0], "# 说明\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n".encode(), "说明.md")
    for who in ("pm", "client"):
        assert client.post(f"/api/versions/{v['id']}/signoffs", headers=world.h(who),
                           json={"decision": "approve"}).status_code == 201
    upload(ids[1], b"x", "<img src=x onerror=alert(1)>.txt")
    r = client.post("/api/projects/P1/faults", headers=world.h("client"),
                    json={"level": 3, "title": "端口闪断", "description": "机房", "channel": "phone"})
    assert r.status_code == 201, r.json
    return ids, v["id"], r.json["id"]


def _watch(page):
    seen = {"console": [], "errors": []}
    page.add_init_script(WATCH)
    page.on("console", lambda m: seen["console"].append(m.text)
            if "Content Security Policy" in m.text or "Content-Security-Policy" in m.text else None)
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    return seen


def test_pages_report_no_csp_violation(app, world, client, upload, live_server, browser):
    ids, version_id, fault_id = _seed(app, world, client, upload)
    pages = {
        "pm": ["/", "/projects/P1", f"/deliverables/{ids[0]}", f"/deliverables/{ids[1]}",
               f"/versions/{version_id}/preview", "/search?q=说明", "/projects/P1/maintenance",
               f"/faults/{fault_id}", "/projects/P1/members", "/projects/NOPE", "/lang/en?next=/projects/P1"],
        "client": ["/portal", "/portal/P1", f"/deliverables/{ids[0]}", f"/deliverables/{ids[2]}"],
        "admin": ["/admin/users", "/"],
    }
    visited = 0
    for who, paths in pages.items():
        page = new_page(browser)
        seen = _watch(page)
        login(page, live_server, who)
        for path in paths:
            resp = page.goto(live_server + path)
            assert resp.status in (200, 404), (path, resp.status)
            page.wait_for_load_state("load")
            assert resp.headers.get("content-security-policy", "").startswith("default-src 'self'"), path
            # the stylesheet applied (a style blocked by the CSP would leave the header unstyled)
            assert page.eval_on_selector("header.top", "e => getComputedStyle(e).display") == "flex", path
            assert page.evaluate("window.__csp") == [], (who, path)
            visited += 1
        if who == "pm":  # the upload script is loaded and wired up (it names the chosen file)
            page.goto(f"{live_server}/deliverables/{ids[2]}")
            page.set_input_files("#file-input", files=[{"name": "a.txt", "mimeType": "text/plain", "buffer": b"abc"}])
            page.wait_for_selector("#file-name:has-text('a.txt')")
            # the phase bars are drawn without inline styles: the signed-off share has a width
            page.goto(live_server + "/")
            assert page.locator(".bar rect.s-signed_off").count() >= 1
            assert page.eval_on_selector(".bar rect.s-signed_off", "e => e.getBoundingClientRect().width") > 0
        assert seen["console"] == [] and seen["errors"] == [], (who, seen)
        page.context.close()
    assert visited == sum(len(p) for p in pages.values())


def test_the_watch_does_see_a_violation(world, live_server, browser):
    """Control: an inline script injected into a page is blocked and reported, so the
    empty lists above mean something."""
    page = new_page(browser)
    seen = _watch(page)
    page.goto(f"{live_server}/login")
    with page.expect_console_message(lambda m: "Content Security Policy" in m.text, timeout=5000):
        page.evaluate("""() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1';
                                 document.body.appendChild(s); }""")
    page.wait_for_function("window.__csp.length > 0", timeout=5000)
    assert page.evaluate("window.__ran") is None
    assert any("script-src" in v for v in page.evaluate("window.__csp"))
    assert seen["console"], seen
    page.context.close()
