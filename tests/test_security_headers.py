"""Finding 8 and 9 (first half): CSP without inline script or style, anti-framing, Referrer-Policy,
nosniff on every answer; Secure cookies and HSTS only with HANDOVER_HTTPS; X-Forwarded-For
believed only with HANDOVER_TRUSTED_PROXIES (the audit trail records the real peer)."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from app import create_app
from conftest import PASSWORD
from web_support import csrf_of, login

CSP_PARTS = ["default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'",
             "base-uri 'self'", "frame-ancestors 'none'", "form-action 'self'"]


def assert_headers(r, csp: bool = True) -> None:
    h = r.headers
    if csp:
        policy = h.get("Content-Security-Policy", "")
        for part in CSP_PARTS:
            assert part in policy, (part, policy)
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy and "*" not in policy
    assert h.get("X-Frame-Options") == "DENY"
    assert h.get("Referrer-Policy") in ("same-origin", "strict-origin-when-cross-origin")
    assert h.get("X-Content-Type-Options") == "nosniff"


@pytest.fixture
def other_app(app):
    """make(**settings): a second app on the same data folder and database with other settings."""
    made = []

    def make(**settings):
        keep = {k: app.config[k] for k in ("HANDOVER_DATA", "DATABASE_URL", "TESTING", "SECRET_KEY", "CLOCK",
                                           "WTF_CSRF_ENABLED")}
        made.append(create_app({**keep, **settings}))
        return made[-1]
    yield make
    for a in made:
        a.extensions["handover.db"].kw["bind"].dispose()


def _doc_ids(app, world, n=2):
    with app.app_context():
        from core import db
        from deliverables.models import Deliverable
        return list(db.session().scalars(select(Deliverable.id).where(Deliverable.project_id == world.ids["P1"])
                                         .order_by(Deliverable.position).limit(n)))


# --- headers on every kind of answer ---------------------------------------------------------

def test_headers_on_pages(client, world):
    assert_headers(client.get("/login"))
    login(client, "pm")
    r = client.get("/")
    assert r.status_code == 200
    assert_headers(r)
    r = client.get("/lang/en?next=/")
    assert r.status_code == 302
    assert_headers(r)


def test_headers_on_api_answers(client, world):
    r = client.get("/api/projects", headers=world.h("pm"))
    assert r.status_code == 200 and r.is_json
    assert_headers(r)
    r = client.get("/api/projects/NOPE", headers=world.h("pm"))
    assert r.status_code == 404 and r.json["error"]["code"]
    assert_headers(r)
    r = client.get("/api/projects")  # no token
    assert r.status_code == 401
    assert_headers(r)


def test_headers_on_404_and_500_pages(app, client, world):
    app.add_url_rule("/boom-for-test", "boom_for_test", lambda: 1 / 0)
    r = client.get("/no/such/page")
    assert r.status_code == 404 and "<html" in r.get_data(as_text=True)
    assert_headers(r)
    login(client, "pm")
    r = client.get("/projects/NOPE")
    assert r.status_code == 404
    assert_headers(r)
    r = client.get("/boom-for-test")
    assert r.status_code == 500
    assert_headers(r)


def test_headers_on_static_files(client):
    for path in ("/static/css/app.css", "/static/js/upload.js"):
        r = client.get(path)
        assert r.status_code == 200
        assert_headers(r)
        r.close()


def test_downloads_keep_their_sandbox(app, client, world, upload):
    (d_id,) = _doc_ids(app, world, 1)
    v = upload(d_id, b"<html><script>alert(1)</script></html>", "page.html")
    r = client.get(f"/api/versions/{v['id']}/file", headers=world.h("pm"))
    assert r.status_code == 200
    assert r.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert_headers(r, csp=False)
    login(client, "pm")
    r = client.get(f"/versions/{v['id']}/download")
    assert r.status_code == 200
    assert r.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert_headers(r, csp=False)


# --- no inline script, handler or style in any page ------------------------------------------

class InlineFinder(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block: <script> with a body or
    without src, on*= handlers, style= attributes, <style> elements, javascript: URLs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script":
            self._in_script = True
            if not names.get("src"):
                self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style> element")
        for name, value in attrs:
            if re.fullmatch(r"on[a-z]+", name):
                self.found.append(f"<{tag} {name}=>")
            if name == "style":
                self.found.append(f"<{tag} style=>")
            url = (value or "").strip().lower()
            if name in ("href", "src", "action", "formaction") and url.startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append("inline script body")


def inline_code(html: str) -> list[str]:
    finder = InlineFinder()
    finder.feed(html)
    finder.close()
    return finder.found


def _seed(app, client, world, upload):
    """A signed-off Markdown version (so a client sees and previews it), a hostile file name, a fault."""
    d1, d2 = _doc_ids(app, world, 2)
    v = upload(d1, "# 标题\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n".encode(), "说明.md", note="<b onclick=x>")
    for who in ("pm", "client"):
        r = client.post(f"/api/versions/{v['id']}/signoffs", headers=world.h(who), json={"decision": "approve"})
        assert r.status_code == 201, r.json
    upload(d2, b"x", "<img src=x onerror=alert(1)>.txt", note="<script>alert(2)</script>")
    r = client.post("/api/projects/P1/faults", headers=world.h("client"),
                    json={"level": 3, "title": "端口闪断 <i onmouseover=x>", "description": "机房", "channel": "phone"})
    assert r.status_code == 201, r.json
    return {"deliverable_id": d1, "version_id": v["id"], "fault_id": r.json["id"], "code": "P1",
            "fmt": "xlsx", "username": "engineer"}


SKIP_ENDPOINTS = {"web.set_language", "static"}  # a redirect; files, checked above


@pytest.mark.parametrize("who", ["admin", "pm", "engineer", "client"])
def test_no_inline_script_or_style_in_any_page(app, client, world, upload, who):
    """Every GET page route (taken from the URL map, so a new page is covered) rendered as
    each role: nothing a strict CSP would block."""
    params = _seed(app, client, world, upload)
    login(client, who)
    pages = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not rule.endpoint.startswith("web.") or rule.endpoint in SKIP_ENDPOINTS:
            continue
        missing = set(rule.arguments) - set(params)
        assert not missing, f"add a value for {missing} ({rule.rule}) to this test"
        pages.append(rule.build({a: params[a] for a in rule.arguments})[1])
    pages += ["/search?q=标题", "/projects/NOPE", "/no/such/page"]
    checked = 0
    for path in pages:
        r = client.get(path)
        assert r.status_code < 500, (path, r.status_code)
        assert_headers(r, csp=r.headers.get("Content-Security-Policy") != "default-src 'none'; sandbox")
        if r.mimetype != "text/html":
            continue
        found = inline_code(r.get_data(as_text=True))
        assert not found, (who, path, found)
        checked += 1
    assert checked >= (8 if who == "client" else 10), checked
    client.delete_cookie("session")
    r = client.get("/login")
    assert not inline_code(r.get_data(as_text=True))


# --- HTTPS: Secure cookies and HSTS only when configured -------------------------------------

def _login_response(client):
    page = client.get("/login")
    return client.post("/login", data={"username": "pm", "password": PASSWORD,
                                       "csrf_token": csrf_of(page.get_data(as_text=True))})


def _session_cookie(r) -> str:
    cookies = [c for c in r.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, r.headers.getlist("Set-Cookie")
    return cookies[-1]


def test_plain_http_has_no_secure_cookie_and_no_hsts(client, world):
    r = _login_response(client)
    assert r.status_code == 302
    cookie = _session_cookie(r)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "Strict-Transport-Security" not in r.headers
    lang = client.get("/lang/en?next=/")
    assert "Secure" not in lang.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_https_setting_gives_secure_cookies_and_hsts(other_app, world):
    client = other_app(HANDOVER_HTTPS="1").test_client()
    r = _login_response(client)
    assert r.status_code == 302
    cookie = _session_cookie(r)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")
    int(r.headers["Strict-Transport-Security"].split("=", 1)[1].split(";")[0])
    lang = client.get("/lang/en?next=/")
    assert "Secure" in lang.headers["Set-Cookie"] and "HttpOnly" in lang.headers["Set-Cookie"]
    api = client.get("/api/projects", headers=world.h("pm"))
    assert api.status_code == 200 and "Strict-Transport-Security" in api.headers
    assert_headers(api)


def test_settings_come_from_the_environment(monkeypatch, tmp_path):
    from core.config import load_config
    monkeypatch.setenv("HANDOVER_HTTPS", "1")
    monkeypatch.setenv("HANDOVER_TRUSTED_PROXIES", "2")
    cfg = load_config({"HANDOVER_DATA": str(tmp_path)})
    assert cfg["HANDOVER_HTTPS"] is True and cfg["HANDOVER_TRUSTED_PROXIES"] == 2
    monkeypatch.delenv("HANDOVER_HTTPS")
    monkeypatch.delenv("HANDOVER_TRUSTED_PROXIES")
    cfg = load_config({"HANDOVER_DATA": str(tmp_path)})
    assert cfg["HANDOVER_HTTPS"] is False and cfg["HANDOVER_TRUSTED_PROXIES"] == 0


# --- X-Forwarded-For: ignored unless a proxy is configured -----------------------------------

def _last_audit(app):
    from core import db
    from core.models import AuditEntry
    with app.app_context():
        e = db.session().scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
        return e.action, e.remote_addr


def test_forwarded_for_is_ignored_by_default(app, client, world):
    r = client.patch("/api/projects/P1", json={"name": "新名称"}, headers={**world.h("pm"),
                                                                          "X-Forwarded-For": "203.0.113.66"})
    assert r.status_code == 200
    assert _last_audit(app) == ("project.update", "127.0.0.1")
    # the page login too (and its throttle keys on the same address)
    page = client.get("/login")
    r = client.post("/login", headers={"X-Forwarded-For": "203.0.113.66"},
                    data={"username": "pm", "password": PASSWORD, "csrf_token": csrf_of(page.get_data(as_text=True))})
    assert r.status_code == 302
    assert _last_audit(app)[1] == "127.0.0.1"


def test_forwarded_for_is_believed_from_configured_proxies(app, other_app, world):
    proxied = other_app(HANDOVER_TRUSTED_PROXIES="1")
    client = proxied.test_client()
    # one trusted hop: the address the proxy appended (the last one), not what the caller claimed
    r = client.patch("/api/projects/P1", json={"name": "新名称"},
                     headers={**world.h("pm"), "X-Forwarded-For": "198.51.100.1, 203.0.113.66",
                              "X-Forwarded-Proto": "https"})
    assert r.status_code == 200
    assert _last_audit(app) == ("project.update", "203.0.113.66")
    r = client.patch("/api/projects/P1", json={"name": "又一个名称"}, headers=world.h("pm"))
    assert r.status_code == 200
    assert _last_audit(app) == ("project.update", "127.0.0.1")

