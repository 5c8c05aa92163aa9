"""Accessibility (issue 16 point 6), in headless Chromium with axe-core 4.14.1 (vendored from the
npm registry in tests/vendor/axe-core, MPL-2.0):

- every page each role can open (taken from the app's url map, filled with the ids of a seeded
  project), at desktop 1280x800 and phone 390x844 width, in Chinese and English: no axe violation
  of impact serious or critical under WCAG 2.0/2.1 A and AA;
- every status badge and every coloured text class has a contrast ratio of at least 4.5:1
  (computed here from the styles the browser applies, independent of axe);
- a keyboard-only walk (Tab, Shift+Tab, Enter, Space and typing; no mouse): log in, open the
  project, open a deliverable, choose a file through the file chooser, upload it, log out, log in
  as the pm and approve it; every element reached shows a visible focus indicator.

axe is injected with `context.add_init_script` (through the DevTools protocol, before any page
script): the app's Content-Security-Policy (script-src 'self') stays in force and is what is
tested, no bypass_csp is needed.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from browser_support import browser, live_server, login, new_page  # noqa: F401  (fixtures)
from conftest import PASSWORD

# What the browser shows does not depend on the database: SQLite only, also when the suite
# runs on PostgreSQL too.
pytestmark = [pytest.mark.browser, pytest.mark.parametrize("backend", ["sqlite"])]

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAIL_IMPACTS = ("serious", "critical")
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
ROLES = ("admin", "pm", "engineer", "client")

RUN_AXE = """async (tags) => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: (n.failureSummary || '').split('\\n').slice(1, 3).join(' ')}))}));
}"""

# Page endpoints that answer with a file, a redirect or nothing to look at.
NOT_PAGES = {"web.set_language", "web.download_page", "web.preview_pdf", "web.controlled_copy_page",
             "web.portal_bundle", "web.fault_report_page", "web.export_register", "web.login"}


def _seed(actions, app):
    """P1 with a deliverable in every state, two versions of one (a diff), maintenance records
    (some overdue) and faults waiting for a response, responded and restored."""
    ids = actions.doc_ids()
    actions.patch_project("P1", maintenance_start="2026-10-05", warranty_until="2027-10-01", expect=200)
    signed = actions.upload(ids[0], "# 需求说明\n\n| 项 | 值 |\n|:--|--:|\n| 交换机 | 2 |\n".encode(), "需求说明.md")
    actions.sign_off(signed["id"])
    waiting_pm = actions.upload(ids[1], "# 设计 V1\n\n交换机 配置\n".encode(), "设计.md")
    actions.sign(waiting_pm["id"], "pm", "reject", "请补充拓扑图。", expect=201)
    waiting_pm = actions.upload(ids[1], "# 设计 V2\n\n交换机 配置 拓扑\n".encode(), "设计.md", note="补充拓扑图")
    waiting_client = actions.upload(ids[2], b"plan", "test-plan.txt")
    actions.sign(waiting_client["id"], "pm", expect=201)
    rejected = actions.upload(ids[3], b"report", "report.txt")
    actions.sign(rejected["id"], "pm", expect=201)
    actions.sign(rejected["id"], "client", "reject", "附件缺少网络拓扑图。", expect=201)
    actions.draft(ids[4], "md", expect=201)
    docx = actions.draft(ids[5], "docx", expect=201).get_json()  # its preview page is the PDF viewer
    faults = []
    for level, title in ((1, "核心交换机宕机"), (3, "门禁系统无法开门"), (4, "打印机卡纸")):
        faults.append(actions.report_fault(level=level, title=title, channel="phone", expect=201).json["id"])
    actions.fault_event(faults[1], "respond", expect=201)
    actions.fault_event(faults[2], "respond", expect=201)
    actions.fault_event(faults[2], "restore", expect=201)
    actions.worker_ticks()
    return {
        "deliverable_id": [ids[1], ids[2], ids[3], ids[0], ids[4]],
        "version_id": [waiting_pm["id"], signed["id"], docx["id"]],
        "fault_id": [faults[0], faults[2]],
        "code": ["P1"],
        "username": ["engineer"],
    }


# Query strings that show a page in another state (filters, a search with hits, a confirmation).
EXTRA = {
    "web.search_page": ["?q=交换机", "?q=没有这个词"],
    "web.project_register": ["?status=rejected"],
    "web.project_members": ["?confirm_remove=pm"],
    "web.portfolio": ["?view=table"],
    "web.register_all": ["?status=in_review"],
    "web.maintenance_page": ["?view=week", "?status=overdue"],
}


def _paths(app, samples) -> tuple[list[tuple[str, str]], list[str]]:
    """(endpoint, path) for every GET page of the web blueprint with every sample value of its
    parameters; and the endpoints with a parameter no sample exists for."""
    out, unsampled = [], []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or not rule.endpoint.startswith("web.") or rule.endpoint in NOT_PAGES:
            continue
        if "." in rule.rule.rsplit("/", 1)[-1]:  # register.<fmt>, bundle.zip, report.docx: files
            continue
        combos = [{}]
        for arg in sorted(rule.arguments):
            if arg not in samples:
                unsampled.append(f"{rule.endpoint} <{arg}>")
                combos = []
                break
            combos = [{**c, arg: v} for c in combos for v in samples[arg]]
        with app.test_request_context():
            from flask import url_for
            for c in combos:
                base = url_for(rule.endpoint, **c)
                out += [(rule.endpoint, base)] + [(rule.endpoint, base + q) for q in EXTRA.get(rule.endpoint, [])]
    return out, unsampled


def _plan(opened):
    """What is checked for one role: in Chinese every page at both sizes; in English every page
    endpoint once (its first sample), half of them at desktop and half at phone width."""
    firsts = list({endpoint: (endpoint, path) for endpoint, path in reversed(opened)}.values())[::-1]
    return [("zh", "desktop", opened), ("zh", "phone", opened),
            ("en", "desktop", firsts[0::2]), ("en", "phone", firsts[1::2])]


def _format(violations) -> str:
    lines = []
    for where, v in violations:
        lines.append(f"{where}: [{v['impact']}] {v['id']}: {v['help']}")
        for n in v["nodes"][:6]:
            lines.append(f"      {n['target']}  {n['summary']}")
        if len(v["nodes"]) > 6:
            lines.append(f"      … {len(v['nodes']) - 6} more")
    return "\n".join(lines)


def test_every_page_for_every_role_has_no_serious_axe_violation(app, actions, live_server, browser):
    started = time.monotonic()
    samples = _seed(actions, app)
    paths, unsampled = _paths(app, samples)
    assert not unsampled, f"give these route parameters a sample value in _seed: {unsampled}"
    axe_source = AXE.read_text(encoding="utf-8")
    serious, minor, checked, runs = [], {}, {}, 0
    for who in ROLES:
        page = new_page(browser)
        page.context.add_init_script(script=axe_source)
        login(page, live_server, who)
        opened = []
        for endpoint, path in paths:
            resp = page.request.get(live_server + path, max_redirects=0)
            if resp.status != 200 or "text/html" not in resp.headers.get("content-type", ""):
                continue
            opened.append((endpoint, path))
        checked[who] = opened
        for lang, size, todo in _plan(opened):
            page.goto(f"{live_server}/lang/{lang}?next=/")
            w, h = SIZES[size]
            page.set_viewport_size({"width": w, "height": h})
            for endpoint, path in todo:
                resp = page.goto(live_server + path)
                assert resp.status == 200, (who, path, resp.status)
                assert page.get_attribute("html", "lang") == ("en" if lang == "en" else "zh-CN"), path
                runs += 1
                for v in page.evaluate(RUN_AXE, TAGS):
                    where = f"{who} {lang} {size} {path}"
                    if v["impact"] in FAIL_IMPACTS:
                        serious.append((where, v))
                    else:
                        minor.setdefault(v["id"], []).append(where)
        page.context.close()
    # the 404 page (anyone can reach it)
    page = new_page(browser)
    page.context.add_init_script(script=axe_source)
    login(page, live_server, "pm")
    assert page.goto(f"{live_server}/projects/NOPE").status == 404
    serious += [("pm zh desktop 404", v) for v in page.evaluate(RUN_AXE, TAGS) if v["impact"] in FAIL_IMPACTS]
    page.goto(f"{live_server}/login")
    page.context.clear_cookies()
    page.goto(f"{live_server}/login?next=/projects/P1")
    serious += [("anonymous login", v) for v in page.evaluate(RUN_AXE, TAGS) if v["impact"] in FAIL_IMPACTS]
    page.fill("input[name=username]", "pm")
    page.fill("input[name=password]", "wrong password")
    page.click("button[type=submit]")
    page.wait_for_selector(".flash.error")
    # the message is tied to the fields it is about
    described = page.get_attribute("input[name=password]", "aria-describedby")
    assert described and page.inner_text(f"#{described}") == page.inner_text(".flash.error")
    assert page.get_attribute("input[name=password]", "aria-invalid") == "true"
    serious += [("anonymous login error", v) for v in page.evaluate(RUN_AXE, TAGS) if v["impact"] in FAIL_IMPACTS]
    page.context.close()
    took = time.monotonic() - started
    print(f"\naxe: {runs} runs ({sum(len(v) for v in checked.values())} role pages) in {took:.1f} s")
    for who, opened in checked.items():
        print(f"  {who}: {len(opened)} pages: {' '.join(p for _, p in opened)}")
    for rule, where in sorted(minor.items()):
        print(f"  minor/moderate {rule}: {len(where)} pages, e.g. {where[0]}")
    assert not serious, "axe serious/critical violations:\n" + _format(serious)
    # every page endpoint was opened by some role
    reached = {e for opened in checked.values() for e, _ in opened}
    all_pages = {e for e, _ in paths}
    assert all_pages <= reached, f"pages no role could open: {sorted(all_pages - reached)}"


# -- contrast of the status badges and coloured text, measured on the applied styles -------------

SAMPLE_STYLES = """async (hrefs) => {
  await Promise.all(hrefs.map(h => new Promise(ok => {
    const l = document.createElement('link'); l.rel = 'stylesheet'; l.href = h;
    l.onload = ok; l.onerror = ok; document.head.appendChild(l); })));
  const badges = new Set();
  for (const sheet of document.styleSheets) {
    let rules; try { rules = sheet.cssRules; } catch (e) { continue; }
    const walk = list => { for (const r of list) {
      if (r.cssRules) { walk(r.cssRules); }
      for (const m of (r.selectorText || '').matchAll(/\\.badge((?:\\.[\\w-]+)+)/g)) { badges.add(m[1].slice(1).split('.').join(' ')); }
    } };
    walk(rules);
  }
  const host = document.createElement('section'); host.className = 'card';
  document.querySelector('main').appendChild(host);
  const bg = el => { for (; el; el = el.parentElement) { const c = getComputedStyle(el).backgroundColor;
                     if (c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') { return c; } } return 'rgb(255, 255, 255)'; };
  const out = [];
  const sample = (kind, cls, parent) => { const e = document.createElement('span'); e.className = cls; e.textContent = '草稿 Draft';
    (parent || host).appendChild(e); out.push({kind, cls, where: parent ? parent.tagName.toLowerCase() : 'card',
                                               fg: getComputedStyle(e).color, bg: bg(e)}); };
  for (const b of badges) { sample('badge', 'badge ' + b); }
  for (const t of ['muted', 'late-text', 'soon-text', 'hints-left', 'small muted']) {
    sample('text', t);
    sample('text', t, document.querySelector('main'));
  }
  return out;
}"""


def _rgb(css: str) -> tuple[float, float, float]:
    r, g, b = (int(x) for x in re.findall(r"[\d.]+", css)[:3])
    return r, g, b


def contrast(fg: str, bg: str) -> float:
    """WCAG 2.1 contrast ratio of two CSS rgb() colours."""
    def lum(c):
        ch = [v / 255 for v in _rgb(c)]
        ch = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in ch]
        return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2]
    hi, lo = sorted((lum(fg), lum(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_badges_and_coloured_text_reach_4_5_to_1(world, live_server, browser):
    """Every `.badge.<status>` selector of every stylesheet in static/css, and the coloured text
    classes on a card and on the page background: contrast of at least 4.5:1."""
    page = new_page(browser)
    page.goto(f"{live_server}/login")
    css = sorted(p.name for p in (Path(__file__).parent.parent / "static" / "css").glob("*.css"))
    samples = page.evaluate(SAMPLE_STYLES, [f"/static/css/{name}" for name in css])
    low = []
    print()
    for s in samples:
        ratio = contrast(s["fg"], s["bg"])
        print(f"  {s['kind']:5} {s['cls']:28} on {s['where']:4} {s['fg']:>18} / {s['bg']:<18} {ratio:5.2f}:1")
        if ratio < 4.5:
            low.append((s["cls"], s["where"], round(ratio, 2)))
    badges = {s["cls"] for s in samples if s["kind"] == "badge"}
    assert {"badge draft", "badge late", "badge in_review", "badge signed_off"} <= badges, badges
    assert not low, f"contrast below 4.5:1: {low}"
    page.context.close()


# -- keyboard only ------------------------------------------------------------------------------

FOCUS_STATE = """s => { const e = document.activeElement; if (!e || !e.matches(s)) { return null; }
  const st = getComputedStyle(e);
  return {visible: e.matches(':focus-visible'), outline: st.outlineStyle, width: parseFloat(st.outlineWidth) || 0,
          shadow: st.boxShadow}; }"""


def _tab_to(page, selector: str, limit: int = 250) -> int:
    """Press Tab until the focused element matches `selector`; asserts it shows a focus ring.
    The number of presses."""
    for n in range(1, limit + 1):
        page.keyboard.press("Tab")
        state = page.evaluate(FOCUS_STATE, selector)
        if state is not None:
            assert state["visible"], (selector, state)
            assert (state["outline"] != "none" and state["width"] >= 2) or state["shadow"] != "none", (selector, state)
            return n
    raise AssertionError(f"{selector} not reached with {limit} Tab presses (at {page.url})")


def _keyboard_file_chooser(page, attempts: int = 3):
    """Space on the focused file field opens the file chooser. On a saturated CI machine
    Chromium now and then drops that one key press (stop 25 waited 15 s for a chooser that
    never came, with the focus on the field), and waiting longer cannot bring back a lost
    press: so press again, up to `attempts` times, while the focus is still on the field.
    Every try is a key press; the pointer is never used."""
    for attempt in range(1, attempts + 1):
        assert page.evaluate("document.activeElement.id") == "file-input"
        try:
            with page.expect_file_chooser(timeout=5000) as chooser:
                page.keyboard.press("Space")
            return chooser.value
        except PlaywrightTimeoutError:
            if attempt == attempts:
                raise


def _keyboard_login(page, base: str, who: str) -> None:
    page.goto(f"{base}/login")
    # the user name field has the focus when the page opens (autofocus: Chromium applies it at
    # the first rendering after the load event, so wait for it rather than read it at once)
    page.wait_for_function("document.activeElement && document.activeElement.name === 'username'",
                           timeout=5000)
    page.keyboard.type(who)
    _tab_to(page, "input[name=password]")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")


def _keyboard_open(page, base: str, deliverable_id: int) -> None:
    """From the portfolio: the project's register, then the deliverable, by Tab and Enter."""
    _tab_to(page, 'main a[href="/projects/P1"]')
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/projects/P1")
    _tab_to(page, f'main a[href="/deliverables/{deliverable_id}"]')
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/deliverables/{deliverable_id}")


def test_keyboard_only_login_upload_and_sign(actions, live_server, browser):
    (d_id,) = actions.doc_ids(n=1)
    page = new_page(browser)
    pointer = []  # any mouse button pressed in a page (keys activate controls without one)
    page.expose_function("__pointer", lambda kind: pointer.append(kind))
    page.add_init_script("document.addEventListener('mousedown', e => window.__pointer(e.type), true);")
    # the engineer logs in; on every page the first Tab reaches the skip link, which is shown
    # when focused and moves the focus to the main content
    _keyboard_login(page, live_server, "engineer")
    page.reload()
    assert _tab_to(page, "a.skip-link") == 1
    assert page.locator("a.skip-link").bounding_box()["y"] >= 0
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # then opens the project and the deliverable and uploads a file
    _keyboard_open(page, live_server, d_id)
    _tab_to(page, "#file-input")
    chooser = _keyboard_file_chooser(page)
    chooser.set_files(files=[{"name": "验收方案.txt", "mimeType": "text/plain", "buffer": "验收方案 正文".encode()}])
    page.wait_for_selector("#file-name:has-text('验收方案.txt')")
    _tab_to(page, "input[name=note]")
    page.keyboard.type("键盘上传")
    _tab_to(page, "#upload-button")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=已上传 V1")
    assert "键盘上传" in page.inner_text("table.versions")
    # log out from the header
    _tab_to(page, "header.top form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/login*")

    # the pm approves it
    _keyboard_login(page, live_server, "pm")
    _keyboard_open(page, live_server, d_id)
    _tab_to(page, "input[name=decision][value=approve]")
    page.keyboard.press("Space")
    assert page.is_checked("input[name=decision][value=approve]")
    _tab_to(page, "textarea[name=comment]")
    page.keyboard.type("同意（键盘）")
    _tab_to(page, "#sign-form input[name=password]")
    page.keyboard.type(PASSWORD)
    _tab_to(page, "#sign-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=已签署 V1")
    assert "同意（键盘）" in page.inner_text("table.versions")
    assert actions.status(d_id) == "in_review"  # waits for the client now
    assert pointer == []
    page.context.close()
