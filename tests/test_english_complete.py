"""English complete (issue 16 point 5): every page, for every role, in English, shows no
Chinese character and no full-width punctuation outside user data and the Chinese half of
names shown in both languages.

The sweep lists the pages from the app's URL map (every GET route that answers HTML), fills
their parameters with real ids from a seeded world whose user data is ASCII (project names,
organisations, display names, file names, fault titles, comments), and reads the visible text
and the attributes users see (title, placeholder, aria-label, alt, button values, data-*
labels the CSS or scripts show). Chinese shown on purpose is marked up honestly: inside an
element with lang="zh-CN" (the Chinese name of a document, the 中文 switch), which screen
readers need too, and which the sweep leaves out. A new page whose route parameters the
sweep cannot fill fails the coverage test, so the sweep grows with the app.
"""
from __future__ import annotations

import io
import json
import re
from datetime import date

import pytest
from lxml import html as lxml_html

from actions import PASSWORD, csrf_of
from browser_support import browser, live_server  # noqa: F401  (fixtures)

# CJK ideographs (and extensions, compatibility), CJK symbols and punctuation (、。「」),
# full-width forms (：（），！？) and the ideographic space.
CJK = re.compile(r"[\u2e80-\u2fdf\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")
# Attributes a user sees or hears (values of buttons below); data-* are read by the CSS
# (data-label on phone tables) and the scripts (their messages).
SEEN_ATTRS = ("title", "placeholder", "aria-label", "alt", "aria-description", "aria-roledescription")
NOT_SHOWN = {"script", "style", "meta", "link", "head"}
ROLES = ("admin", "pm", "engineer", "client")

# Routes that do not answer an HTML page (files, redirects, the language switch).
# Exports (a <fmt> parameter: csv, xlsx) are read by test_exports_follow_the_ui_language.
NOT_PAGES = {"static", "health.healthz", "web.set_language", "web.download_page", "web.preview_pdf",
             "web.controlled_copy_page", "web.portal_bundle", "web.fault_report_page"}


# ------------------------------------------------------------------ reading a page -------

def json_strings(value) -> list[str]:
    """Every string (keys too) in a JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *json_strings(v)]]
    if isinstance(value, list):
        return [s for v in value for s in json_strings(v)]
    return []


def chinese_in_page(page: str, data: tuple[str, ...] = ()) -> list[str]:
    """Visible text and seen attributes of an HTML page that contain CJK characters or
    full-width punctuation, outside elements marked lang="zh..." (shown in Chinese on purpose)
    and once the `data` strings (file names the product generated: user data) are taken out."""
    doc = lxml_html.fromstring(page)
    found = []

    def chinese(text: str) -> bool:
        for d in data:
            text = text.replace(d, "")
        return bool(CJK.search(text))

    def walk(el):
        tail = el.tail or ""
        if chinese(tail):  # text after an element (or a comment) belongs to its parent
            parent = el.getparent()
            found.append(f"<{parent.tag if parent is not None else '?'}>...{tail.strip()[:120]}")
        if not isinstance(el.tag, str):  # comments, processing instructions
            return
        tag = el.tag.lower()
        if (el.get("lang") or "").lower().startswith("zh") and tag != "html":
            return
        if tag == "script" and (el.get("type") or "") == "application/json":
            found.extend(f"<script id={el.get('id')!r}> {t}" for t in json_strings(json.loads(el.text or "null"))
                         if chinese(t))  # the labels a chart draws
            return
        if tag in NOT_SHOWN - {"head"}:
            return
        for name, value in el.attrib.items():
            seen = name in SEEN_ATTRS or name.startswith("data-") or (
                name == "value" and (tag == "button" or (el.get("type") or "").lower() in ("submit", "button", "reset")))
            if seen and chinese(value):
                found.append(f"<{tag} {name}={value!r}>")
        if chinese(el.text or ""):
            found.append(f"<{tag}>{el.text.strip()[:120]}")
        for child in el:
            walk(child)

    walk(doc)
    return found


def test_the_reader_finds_what_users_see_and_skips_what_is_marked():
    page = ('<html lang="en"><head><title>Home · 交付通</title><script>var a="中文";</script></head><body>'
            '<p>Client：<b>x</b>尾</p><span lang="zh-CN">测试计划</span><input placeholder="搜索">'
            '<button value="保存">Save</button><input type="hidden" value="隐藏"><td data-label="名称">a</td>'
            '<a title="设置">s</a><!-- 注释 --><script type="application/json">{"labels": {"a": "\\u56fe\\u8868"}}</script>'
            '</body></html>')
    found = chinese_in_page(page)
    joined = "\n".join(found)
    for shown in ("Client：", "尾", "搜索", "保存", "名称", "设置", "交付通", "图表"):
        assert shown in joined, shown
    for hidden in ("中文", "测试计划", "隐藏", "注释"):
        assert hidden not in joined, hidden


# ------------------------------------------------------------------ the world ------------

def ascii_world(app, client, world, actions) -> dict:
    """The `world` with ASCII user data, and one of every object a page shows: versions (two
    of one document, for the diff), sign-offs, a rejected version, faults at every stage,
    maintenance records (one with a version), a finished import run with a file it could not
    place; the world's users have API tokens already."""
    from test_import import run_import_jobs, zip_bytes
    for code, name, org in (("P1", "Smart Campus Platform", "City Office"), ("P2", "Other Project", "Other Client")):
        actions.patch_project(code, who="admin", name=name, client=org, vendor="Vendor Ltd",
                              warranty_until=date(2027, 12, 31), maintenance_start=date(2026, 9, 1))
    docs = actions.deliverables("P1")
    plan = docs["test_plan"]
    v1 = actions.upload(plan, b"plan one\nline two\n", "plan.txt", note="first")
    actions.sign(v1["id"], "pm", "reject", "needs work", expect=201)
    v2 = actions.upload(plan, b"plan two\nline two\nline three\n", "plan.txt", note="second")
    design = docs["system_design"]
    d1 = actions.upload(design, b"design", "design.md")
    actions.sign_off(d1["id"])
    report = docs["test_report"]
    r1 = actions.upload(report, b"report", "report.md")
    actions.sign(r1["id"], "pm", expect=201)
    faults = []
    for level, channel in ((1, "phone"), (2, "email"), (3, "onsite"), (4, "phone")):
        faults.append(actions.report_fault(level=level, channel=channel, title=f"Fault level {level}",
                                           expect=201).json["id"])
    actions.fault_event(faults[1], "respond", expect=201)
    actions.fault_event(faults[2], "respond", expect=201)
    actions.fault_event(faults[2], "restore", expect=201)
    actions.fault_event(faults[3], "respond", expect=201)
    actions.fault_event(faults[3], "restore", expect=201)
    actions.fault_event(faults[3], "close", who="client", expect=201)
    actions.worker_ticks()
    record = next(r for r in actions.records(who="admin") if r["period"] and r["period"] != "once")
    actions.upload(record["deliverable_id"], b"checked", "check.md")
    # an import run with a file it cannot place
    actions.login("pm")
    token = actions.csrf("/projects/P1/import")
    data = zip_bytes([("archive/notes.txt", b"no place")])
    r = client.post("/projects/P1/import", data={"csrf_token": token, "file": (io.BytesIO(data), "archive.zip")},
                    content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    assert run_import_jobs(app) == 1
    return {"code": "P1", "deliverable_id": plan, "version_id": v2["id"], "old_version_id": v1["id"],
            "fault_id": faults[0], "fault_ids": faults, "record_deliverable_id": record["deliverable_id"],
            "username": "pm"}


def page_urls(app, objs: dict) -> tuple[list[str], list[str], list[str]]:
    """Every HTML page of the URL map with real ids (and query strings that show more: a
    search with hits, a diff, filters); the exports (CSV and XLSX); the routes it could not fill."""
    values = {"code": objs["code"], "deliverable_id": objs["deliverable_id"], "version_id": objs["version_id"],
              "fault_id": objs["fault_id"], "username": objs["username"]}
    extra = {"web.search_page": ["?q=plan", "?q=plan&phase=testing&status=in_review", "?q=zzzznothing"],
             "web.diff_page": [f"?against={objs['old_version_id']}"],
             "web.maintenance_page": ["?status=open", "?status=closed", "?view=week", "?view=month&date=2026-09-01",
                                      "?record_status=overdue"],
             "web.portfolio": ["?view=table", "?view=cards"],
             "web.project_register": ["?status=in_review", "?phase=testing"],
             "web.project_members": [f"?confirm_remove={objs['username']}"],
             "web.register_all": ["?waiting=client", f"?project={objs['code']}"],
             "web.sla_page": ["?from=2026-01&to=2026-12"]}
    urls, exports, unfilled = [], [], []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith("/api") or rule.endpoint in NOT_PAGES:
            continue
        if "fmt" in rule.arguments and set(rule.arguments) - {"fmt"} <= set(values):
            with app.test_request_context():
                from flask import url_for
                exports += [url_for(rule.endpoint, fmt=fmt, **{k: values[k] for k in rule.arguments - {"fmt"}})
                            for fmt in ("csv", "xlsx")]
            continue
        if not set(rule.arguments) <= set(values):
            unfilled.append(f"{rule.endpoint} {rule.rule}")
            continue
        with app.test_request_context():
            from flask import url_for
            url = url_for(rule.endpoint, **{k: values[k] for k in rule.arguments})
        urls.append(url)
        urls += [url + q for q in extra.get(rule.endpoint, [])]
        if rule.endpoint == "web.deliverable_page" and objs.get("record_deliverable_id"):
            urls.append(f"/deliverables/{objs['record_deliverable_id']}")
        if rule.endpoint == "web.fault_page":
            urls += [f"/faults/{f}" for f in objs["fault_ids"][1:]]
    return urls, exports, unfilled



def file_names(app) -> tuple[str, ...]:
    """The versions' file names with Chinese in them (generated drafts: P1-测试计划-V1.2.docx),
    longest first: user data, as a file keeps its name in every language."""
    from sqlalchemy import select
    from core import db
    from deliverables.models import Version
    with app.app_context():
        names = {n for n in db.session().scalars(select(Version.filename)) if CJK.search(n)}
    return tuple(sorted(names, key=len, reverse=True))


def english_session(client, who: str) -> None:
    client.delete_cookie("session")
    token = csrf_of(client.get("/login").get_data(as_text=True))
    r = client.post("/login", data={"username": who, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    client.set_cookie("lang", "en")


def sweep(client, urls: list[str], who: str) -> dict[str, list[str]]:
    """{url: Chinese found} over the pages `who` may open (403/404 pages are read too)."""
    out = {}
    for url in urls:
        r = client.get(url)
        if r.status_code >= 500:
            out[f"{who} {url}"] = [f"answered {r.status_code}"]
            continue
        if r.status_code in (301, 302, 303):
            continue
        if "text/html" not in r.headers.get("Content-Type", ""):
            continue
        found = chinese_in_page(r.get_data(as_text=True), file_names(client.application))
        if found:
            out[f"{who} {url} [{r.status_code}]"] = sorted(set(found))
    return out


# ------------------------------------------------------------------ the sweep -------------

def test_every_page_for_every_role_speaks_english(app, client, world, actions):
    objs = ascii_world(app, client, world, actions)
    urls, _exports, unfilled = page_urls(app, objs)
    assert not unfilled, f"the sweep cannot fill these routes' parameters: {unfilled}"
    assert len(urls) >= 20, urls
    found = {}
    for who in ROLES:
        english_session(client, who)
        found.update(sweep(client, urls, who))
    # the pages seen logged out, and the error pages
    client.delete_cookie("session")
    client.set_cookie("lang", "en")
    found.update(sweep(client, ["/login", "/no-such-page"], "anonymous"))
    english_session(client, "client2")
    found.update(sweep(client, [f"/deliverables/{objs['deliverable_id']}", f"/faults/{objs['fault_id']}",
                                "/projects/P1", "/no-such-page", "/admin/users"], "client2"))
    report = "\n".join(f"{page}: {items}" for page, items in sorted(found.items()))
    assert not found, f"Chinese left in English pages ({len(found)} pages):\n{report}"
    # the Chinese name beside the English one, marked as Chinese (screen readers switch voice)
    english_session(client, "pm")
    page = client.get(f"/deliverables/{objs['deliverable_id']}").get_data(as_text=True)
    assert "<h1>Test plan " in page and '<p class="muted" lang="zh-CN">测试计划</p>' in page
    assert 'lang="zh-CN">测试计划</span>' in client.get("/search?q=test").get_data(as_text=True)


def test_the_sweep_covers_every_page_route(app):
    """Every GET page route is either swept or named as not a page (files, redirects)."""
    objs = {"code": "P1", "deliverable_id": 1, "version_id": 1, "old_version_id": 1, "fault_id": 1,
            "fault_ids": [1], "record_deliverable_id": None, "username": "pm"}
    urls, exports, unfilled = page_urls(app, objs)
    assert not unfilled, unfilled
    assert exports
    for endpoint in NOT_PAGES - {"static", "health.healthz"}:
        assert endpoint in app.view_functions, f"{endpoint} is gone: drop it from NOT_PAGES"


def export_texts(r) -> list[str]:
    """The text cells of a CSV or XLSX export, and its download name."""
    from urllib.parse import unquote
    texts = [unquote(r.headers.get("Content-Disposition", ""))]
    if r.headers["Content-Type"].startswith("text/csv"):
        texts += r.get_data().decode("utf-8-sig").splitlines()
    else:
        from openpyxl import load_workbook
        wb = load_workbook(io.BytesIO(r.get_data()), read_only=True)
        for ws in wb.worksheets:
            texts.append(ws.title)
            for row in ws.iter_rows(values_only=True):
                texts += [str(c) for c in row if isinstance(c, str)]
    return texts


def test_exports_follow_the_ui_language(app, client, world, actions):
    """Exports speak the language of the page they are taken from: headers, phase, document
    and status names in English after /lang/en (Chinese by default)."""
    objs = ascii_world(app, client, world, actions)
    _urls, exports, _unfilled = page_urls(app, objs)
    assert exports
    english_session(client, "pm")
    found = {}
    for url in exports:
        r = client.get(url)
        assert r.status_code == 200, (url, r.status_code)
        bad = [t for t in export_texts(r) if CJK.search(t)]
        if bad:
            found[url] = bad[:8]
    assert not found, found
    r = client.get("/projects/P1/register.csv")
    header = r.get_data().decode("utf-8-sig").splitlines()[0]
    assert header.startswith("No.,Phase,Document,Status,Latest version,File name") and "Test plan" in r.get_data(as_text=True)
    client.set_cookie("lang", "zh")
    r = client.get("/projects/P1/register.csv")
    assert r.get_data().decode("utf-8-sig").startswith("序号,阶段,文档名称,状态") and "测试计划" in r.get_data(as_text=True)


def test_fault_levels_and_channels_have_english_names():
    from maintenance.labels import channel_name, level_name
    from maintenance.sla_rules import get_rules
    rules = get_rules()
    for n in rules.levels:
        assert level_name(rules, n, "en") and not CJK.search(level_name(rules, n, "en")), n
        assert level_name(rules, n, "zh") == rules.levels[n].name_zh
    for key in rules.channels:
        assert not CJK.search(channel_name(rules, key, "en")), key
        assert channel_name(rules, key, "zh") == rules.channels[key]


def test_form_errors_and_flash_messages_speak_english(app, client, world, actions):
    """Every form of the pages posted empty (its errors), and the usual successful steps (their
    flash messages), in English: the page the user lands on has no Chinese."""
    objs = ascii_world(app, client, world, actions)
    values = {"code": objs["code"], "deliverable_id": objs["deliverable_id"], "version_id": objs["version_id"],
              "fault_id": objs["fault_id"], "username": "engineer"}
    posts = []
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and not rule.rule.startswith("/api") and rule.endpoint != "web.logout" \
                and set(rule.arguments) <= set(values):
            posts.append(rule.build({k: values[k] for k in rule.arguments})[1])
    assert len(posts) >= 10, posts
    found = {}

    def check(who, what, r):
        if r.status_code >= 500:
            found[f"{who} {what}"] = [f"answered {r.status_code}"]
        elif "text/html" in r.headers.get("Content-Type", ""):
            bad = chinese_in_page(r.get_data(as_text=True), file_names(app))
            if bad:
                found[f"{who} {what} [{r.status_code}]"] = sorted(set(bad))

    for who in ("admin", "pm", "client"):
        english_session(client, who)
        for url in posts:
            token = csrf_of(client.get("/settings").get_data(as_text=True))
            check(who, f"POST {url} (empty)", client.post(url, data={"csrf_token": token}, follow_redirects=True))
        check(who, "POST /settings (no CSRF token)", client.post("/settings", data={}, follow_redirects=True))
    client.delete_cookie("session")  # a wrong password at the login form
    token = csrf_of(client.get("/login").get_data(as_text=True))
    check("anonymous", "wrong password", client.post("/login", data={
        "csrf_token": token, "username": "pm", "password": "wrong"}, follow_redirects=True))
    # the usual steps, successful
    english_session(client, "engineer")
    token = csrf_of(client.get(f"/deliverables/{objs['deliverable_id']}").get_data(as_text=True))
    check("engineer", "upload", client.post(f"/deliverables/{objs['deliverable_id']}/upload", data={
        "csrf_token": token, "file": (io.BytesIO(b"plan three"), "plan3.txt"), "note": "third"},
        content_type="multipart/form-data", follow_redirects=True))
    check("engineer", "upload again (same content)", client.post(
        f"/deliverables/{objs['deliverable_id']}/upload", data={
            "csrf_token": token, "file": (io.BytesIO(b"plan three"), "plan3.txt")},
        content_type="multipart/form-data", follow_redirects=True))
    check("engineer", "empty upload", client.post(f"/deliverables/{objs['deliverable_id']}/upload", data={
        "csrf_token": token, "file": (io.BytesIO(b""), "empty.txt")},
        content_type="multipart/form-data", follow_redirects=True))
    check("engineer", "respond", client.post(f"/faults/{objs['fault_id']}/events", data={
        "csrf_token": token, "kind": "respond", "note": "on it"}, follow_redirects=True))
    english_session(client, "client")
    token = csrf_of(client.get("/projects/P1/maintenance").get_data(as_text=True))
    check("client", "report a fault", client.post("/projects/P1/faults", data={
        "csrf_token": token, "level": "2", "channel": "email", "title": "Printer down"}, follow_redirects=True))
    english_session(client, "pm")
    latest = actions.latest_version_id(objs["deliverable_id"])
    token = csrf_of(client.get(f"/deliverables/{objs['deliverable_id']}").get_data(as_text=True))
    check("pm", "sign, wrong password", client.post(f"/versions/{latest}/sign", data={
        "csrf_token": token, "decision": "approve", "comment": "fine", "password": "wrong"}, follow_redirects=True))
    check("pm", "sign", client.post(f"/versions/{latest}/sign", data={
        "csrf_token": token, "decision": "approve", "comment": "fine", "password": PASSWORD}, follow_redirects=True))
    report = "\n".join(f"{k}: {v}" for k, v in sorted(found.items()))
    assert not found, f"Chinese left after posting forms in English:\n{report}"


# ------------------------------------------------------------------ in Chromium ----------

# The text a user sees once scripts ran (charts drawn as SVG, the upload bar's messages):
# text nodes outside script/style and outside elements marked lang="zh...", and the
# attributes the sweep reads.
SEEN_TEXT_JS = """() => {
  const out = [];
  const skip = n => n.closest('script, style, noscript, [lang^="zh"]:not(html)');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.parentElement && !skip(n.parentElement) && n.textContent.trim()) { out.push(n.textContent.trim()); }
  }
  for (const el of document.body.querySelectorAll('[title], [placeholder], [aria-label], [alt]')) {
    if (skip(el)) { continue; }
    for (const a of ['title', 'placeholder', 'aria-label', 'alt']) { if (el.getAttribute(a)) { out.push(el.getAttribute(a)); } }
  }
  return out;
}"""


@pytest.mark.browser
def test_script_text_speaks_english_in_chromium(app, client, world, actions, live_server, browser):
    """The upload bar's messages and the charts, as Chromium shows them, in English."""
    from browser_support import login, new_page
    objs = ascii_world(app, client, world, actions)
    names = file_names(app)

    def chinese_seen(page) -> list[str]:
        texts = page.evaluate(SEEN_TEXT_JS)
        out = []
        for t in texts:
            for d in names:
                t = t.replace(d, "")
            if CJK.search(t):
                out.append(t)
        return out

    page = new_page(browser)
    login(page, live_server, "engineer")
    page.goto(f"{live_server}/lang/en?next=/")
    found = {}
    d_id = objs["deliverable_id"]
    page.goto(f"{live_server}/deliverables/{d_id}")
    page.click("#upload-button")  # no file chosen
    found["no file"] = chinese_seen(page)
    page.evaluate("""([name, text]) => {
        const dt = new DataTransfer();
        dt.items.add(new File([text], name, {type: 'text/plain'}));
        document.getElementById('dropzone').dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true}));
    }""", ["same.txt", "plan two\nline two\nline three\n"])  # the content of the latest version
    page.click("#upload-button")
    page.wait_for_selector("#progress.failed")
    found["same content refused"] = chinese_seen(page)
    page.evaluate("document.getElementById('upload-form').setAttribute('data-max-mb', '0.00001')")
    page.click("#upload-button")
    found["too large"] = chinese_seen(page)
    for path in ("/", "/?view=table", f"/projects/{objs['code']}", f"/projects/{objs['code']}/maintenance",
                 f"/projects/{objs['code']}/sla", f"/faults/{objs['fault_id']}", "/search?q=plan"):
        page.goto(f"{live_server}{path}")
        page.wait_for_load_state("load")
        found[path] = chinese_seen(page)
    page.context.close()
    found = {k: v for k, v in found.items() if v}
    assert not found, found


def test_counts_read_right_in_english(app):
    """A count of one reads in the singular: catalog entries with plural forms (msgid_plural)
    take the form for n; other counted texts are worded as "Results: 1"."""
    from core.messages import catalog, translate
    assert translate("剩 {n} 个工作日", "en", 1).format(n=1) == "1 working day left"
    assert translate("剩 {n} 个工作日", "en", 3).format(n=3) == "3 working days left"
    assert translate("剩 {n} 个工作日", "zh", 1) == "剩 {n} 个工作日"
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        from web.i18n import gettext
        assert gettext("逾期 {n} 个工作日", n=1) == "1 working day overdue"
        assert gettext("共 {n} 条结果", n=1) == "Results: 1"
        tpl = app.jinja_env.from_string("{{ _('时限 {n} 个工作日', n=1) }} / {{ _('时限 {n} 个工作日', n=2) }}")
        assert tpl.render() == "due in 1 working day / due in 2 working days"
    # "{n} results" and the like: a number before a plural noun is wrong for 1
    bad = [v for v in catalog("en").values() if isinstance(v, str) and re.search(r"(?<!V)\{n\} (?!has\b)\w{2,}s\b", v)]
    assert bad == []
