"""Headless Chromium: the portfolio of 300 projects as a table (sort, filter, every number a
link to its filtered list, the card view switch, a phone's width), the register across projects,
and a project's sign-offs-by-week chart (ECharts canvas under the CSP, its table fallback, print).
Screenshots (desktop and phone, Chinese and English) go to $HANDOVER_SHOTS/portfolio when set."""
from __future__ import annotations

import os
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from browser_support import browser, live_server, login, new_page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
PROJECTS = 300

WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
}, true);
"""


def _seed_projects(app, n: int) -> None:
    """n - 2 more projects (the world has P1 and P2) through the product's create_project, a few
    in maintenance with an open fault each (the figures are counted, not stubbed)."""
    from sqlalchemy import select
    from core import db
    from core.models import User
    from deliverables.projects import create_project
    from maintenance.faults import report_fault
    with app.app_context():
        s = db.session()
        admin = s.scalar(select(User).where(User.username == "admin"))
        started = date.today() - timedelta(days=40)
        for i in range(n - 2):
            p = create_project(admin, f"B{i:03d}", f"基准项目 {i}", f"客户 {i % 17}",
                               maintenance_start=started if i % 50 == 0 else None)
            if i % 50 == 0:
                report_fault(admin, p, level=3, title=f"故障 {i}", channel="phone")
        s.commit()


def _shot(page, name: str) -> None:
    root = os.environ.get("HANDOVER_SHOTS")
    if root:
        out = Path(root) / "portfolio"
        out.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out / f"{name}.png"), full_page=False)


def _codes(page) -> list[str]:
    return page.eval_on_selector_all("#portfolio-table tbody tr", "rows => rows.map(r => r.dataset.project)")


def test_a_portfolio_of_300_projects_as_a_table(app, world, actions, live_server, browser):
    _seed_projects(app, PROJECTS)
    ids = actions.doc_ids("P1", 2)
    v = actions.upload(ids[0], b"a", "a.txt")
    actions.sign_off(v["id"])
    v = actions.upload(ids[1], b"b", "b.txt")
    actions.sign(v["id"], "pm")  # waits at the client's step
    page = new_page(browser)
    page.add_init_script(WATCH)
    login(page, live_server, "admin")
    assert len(_codes(page)) == PROJECTS  # the table is the default: every project, one page
    assert page.locator("#view-table[aria-current=page]").count() == 1
    _shot(page, "table-desktop-zh")
    # sort by completeness (a header link), highest first on the second click
    page.click("th a[data-sort=percent]")
    page.wait_for_url(re.compile(r"sort=percent&dir=desc"))
    assert _codes(page)[0] == "P1"
    assert page.get_attribute("th[aria-sort]", "aria-sort") == "descending"
    page.click("th a[data-sort=percent]")
    page.wait_for_url(re.compile(r"dir=asc"))
    assert _codes(page)[-1] == "P1"
    # filter by text and client, kept across a sort
    page.fill("input[name=q]", "基准项目 1")
    page.select_option("select[name=client]", "客户 3")
    page.click(".portfolio-filters button[type=submit]")
    page.wait_for_url(re.compile(r"client="))
    codes = _codes(page)
    assert codes and all(page.locator(f'tr[data-project="{c}"] td').nth(2).inner_text() == "客户 3" for c in codes)
    assert "sort=percent" in page.url
    # every number links to the filtered list: P1's "waiting for client" opens the register across projects
    page.goto(f"{live_server}/?q=P1")
    page.click('tr[data-project="P1"] a[data-figure=waiting_client]')
    page.wait_for_url(re.compile(r"/register\?project=P1&waiting=client"))
    assert page.eval_on_selector_all("#register-all tbody tr", "r => r.map(x => +x.dataset.deliverable)") == [ids[1]]
    assert page.input_value("select[name=waiting]") == "client"
    page.go_back()
    page.click('tr[data-project="P1"] a[data-figure=open_faults]')
    page.wait_for_url(re.compile(r"/projects/P1/maintenance"))
    page.goto(f"{live_server}/?q=B000")
    assert page.inner_text('tr[data-project="B000"] a[data-figure=open_faults]') == "1"
    page.click('tr[data-project="B000"] a[data-figure=sla_breaches]')
    page.wait_for_url(re.compile(r"/projects/B000/sla"))
    # the card view for a handful, the filter kept
    page.goto(f"{live_server}/?q=B00")
    page.click("#view-cards")
    page.wait_for_url(re.compile(r"view=cards"))
    assert page.locator("section.card.project").count() == 10
    assert page.locator("#view-cards[aria-current=page]").count() == 1
    _shot(page, "cards-desktop-zh")
    assert page.evaluate("window.__csp") == []
    # English
    page.goto(f"{live_server}/lang/en?next=/")
    page.wait_for_selector("#portfolio-table")
    assert page.inner_text("th a[data-sort=sla_breaches]").startswith("SLA breaches")
    _shot(page, "table-desktop-en")
    page.context.close()

    # a phone: one block per project, each figure named, nothing wider than the screen
    phone = new_page(browser, 390, 844)
    login(phone, live_server, "pm")
    phone.goto(f"{live_server}/?view=table")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 391
    assert phone.eval_on_selector("#portfolio-table thead", "e => getComputedStyle(e).display") == "none"
    label = phone.eval_on_selector('tr[data-project="P1"] td.num',
                                   "e => getComputedStyle(e, '::before').content")
    assert "完成度" in label
    _shot(phone, "table-phone-zh")
    phone.goto(f"{live_server}/lang/en?next=/%3Fview%3Dtable")
    phone.wait_for_selector("#portfolio-table")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 391
    _shot(phone, "table-phone-en")
    phone.goto(f"{live_server}/register")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 391
    _shot(phone, "register-phone-en")
    phone.context.close()


def test_the_register_across_projects_and_its_export(app, world, actions, live_server, browser):
    ids = actions.doc_ids("P1", 1)
    v = actions.upload(ids[0], b"a", "a.txt")
    actions.sign_off(v["id"])
    page = new_page(browser)
    login(page, live_server, "admin")
    page.click("#register-all-link")
    page.wait_for_url(f"{live_server}/register")
    assert set(page.eval_on_selector_all("#register-all tbody tr", "r => r.map(x => x.dataset.project)")) == {"P1", "P2"}
    page.select_option("select[name=project]", "P1")
    page.select_option("select[name=status]", "signed_off")
    page.click(".toolbar button[type=submit]")
    page.wait_for_url(re.compile(r"project=P1&phase=&status=signed_off"))
    assert page.eval_on_selector_all("#register-all tbody tr", "r => r.map(x => +x.dataset.deliverable)") == ids
    _shot(page, "register-desktop-zh")
    with page.expect_download() as d:
        page.click("#export-csv")
    text = Path(d.value.path()).read_bytes().decode("utf-8-sig")
    assert text.count("\n") == 2 and "P1" in text and "a.txt" in text
    page.context.close()


def test_the_sign_off_chart_draws_on_a_canvas_with_a_table_fallback(app, world, actions, live_server, browser, clock):
    ids = actions.doc_ids("P1", 6)
    for week, doc in enumerate(ids):
        v = actions.upload(doc, f"doc {week}".encode(), f"d{week}.txt")
        actions.sign_off(v["id"])
        clock.advance(days=7)
    for lang, (w, h), name in (("zh", (1280, 800), "chart-desktop-zh"), ("zh", (390, 844), "chart-phone-zh"),
                               ("en", (1280, 800), "chart-desktop-en"), ("en", (390, 844), "chart-phone-en")):
        page = new_page(browser, w, h)
        page.add_init_script(WATCH)
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        login(page, live_server, "client")
        if lang == "en":
            page.goto(f"{live_server}/lang/en?next=/projects/P1")
        else:
            page.goto(f"{live_server}/projects/P1")
        page.wait_for_selector("#progress-chart canvas")
        box = page.eval_on_selector("#progress-chart canvas", "c => c.getBoundingClientRect().width")
        assert 0 < box <= w
        # the fallback: the figures as a table (7 weeks: six with a sign-off, and this one)
        assert page.locator("#progress-table tbody tr").count() == 7
        assert page.get_attribute("#progress-chart", "role") == "img"
        assert page.inner_text("#progress-summary")
        page.locator("#progress").scroll_into_view_if_needed()
        _shot(page, name)
        assert page.evaluate("window.__csp") == [] and errors == []
        page.context.close()
    # printed: the chart stays, the toolbars go
    page = new_page(browser)
    login(page, live_server, "pm")
    page.goto(f"{live_server}/projects/P1")
    page.wait_for_selector("#progress-chart canvas")
    page.emulate_media(media="print")
    assert page.eval_on_selector("header.top", "e => getComputedStyle(e).display") == "none"
    assert page.eval_on_selector("#progress-chart", "e => e.getBoundingClientRect().height") > 100
    assert len(page.pdf()) > 1000
    # without script the table is the chart: no canvas, the figures there
    page.context.close()
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    login(page, live_server, "pm")
    page.goto(f"{live_server}/projects/P1")
    assert page.locator("#progress-chart canvas").count() == 0
    assert page.locator("#progress-table tbody tr").count() == 7
    context.close()
