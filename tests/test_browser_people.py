"""Issue 16 in Chromium: a pm creates a project through /projects/new and finds it in the
portfolio; the set-up pages (new, edit, members with the self-removal confirmation, tokens)
are shot at desktop and phone width into $HANDOVER_SHOTS_ADMIN16 (default /tmp/admin16)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from browser_support import browser, live_server, login, new_page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


def test_pm_creates_a_project_in_the_browser(actions, live_server, browser):
    page = new_page(browser)
    login(page, live_server, "pm")
    page.click("nav >> text=新建项目")
    page.wait_for_url(f"{live_server}/projects/new")
    page.fill("input[name=code]", "WEB-1")
    page.fill("input[name=name]", "浏览器新建的项目")
    page.fill("input[name=client]", "某市城市管理局")
    page.fill("input[name=start_date]", "2026-11-02")
    page.fill("input[name=maintenance_start]", "2026-11-16")
    page.check("input[name=members][value=engineer]")
    page.click("button:has-text('创建项目')")
    page.wait_for_url(f"{live_server}/projects/WEB-1/members")
    assert "已创建项目 WEB-1" in page.inner_text(".flash.ok")
    members = page.inner_text("table")
    assert "pm" in members and "engineer" in members
    page.goto(f"{live_server}/")
    assert page.locator("text=浏览器新建的项目").count() >= 1
    page.click("text=浏览器新建的项目")
    page.wait_for_url(f"{live_server}/projects/WEB-1")


def test_screenshots_of_the_setup_pages(app, actions, live_server, browser):
    from core import db
    from core.users import create_user
    out = Path(os.environ.get("HANDOVER_SHOTS_ADMIN16", "/tmp/admin16"))
    out.mkdir(parents=True, exist_ok=True)
    with app.app_context():
        create_user("wang.kehu", "client", password="long enough 1", display_name="王甲方", organisation="某市城市管理局")
        db.session().commit()
    actions.client.post("/api/projects/P1/members", json={"username": "pm2"}, headers=actions.world.h("admin"))
    actions.client.get("/api/me", headers=actions.world.h("pm"))  # a last use to show
    pages = {"pm": [("project-new", "/projects/new"), ("project-edit", "/projects/P1/edit"),
                    ("members", "/projects/P1/members"), ("members-confirm", "/projects/P1/members?confirm_remove=pm"),
                    ("tokens", "/tokens"), ("maintenance-unset", "/projects/P1/maintenance")],
             "admin": [("admin-users", "/admin/users"), ("admin-user-tokens", "/admin/users/pm/tokens")]}
    for who, items in pages.items():
        for size, (w, h) in SIZES.items():
            page = new_page(browser, w, h)
            login(page, live_server, who)
            for name, path in items:
                resp = page.goto(live_server + path)
                assert resp.status == 200, (name, resp.status)
                page.screenshot(path=str(out / f"{name}-{size}.png"), full_page=True)
            page.context.close()
