"""Login, logout, CSRF, session cookie flags, login throttling, language switch."""
from __future__ import annotations

from actions import csrf_of


def test_login_form_has_fields_and_csrf(client, world):
    html = client.get("/login").get_data(as_text=True)
    assert 'name="username"' in html and 'name="password"' in html
    assert 'type="hidden" name="csrf_token"' in html
    assert '<html lang="zh-CN">' in html


def test_post_login_without_csrf_is_refused(client, world):
    r = client.post("/login", data={"username": "pm", "password": "correct horse 1"})
    assert r.status_code == 400
    assert "Traceback" not in r.get_data(as_text=True)
    r = client.post("/login", data={"username": "pm", "password": "correct horse 1", "csrf_token": "forged"})
    assert r.status_code == 400
    assert client.get("/").status_code == 302  # still logged out


def test_pages_need_login(client, world):
    r = client.get("/projects/P1")
    assert r.status_code == 302 and "/login?next=/projects/P1" in r.headers["Location"]


def test_login_sets_httponly_samesite_cookie_and_logout(actions, client):
    page = client.get("/login")
    token = csrf_of(page.get_data(as_text=True))
    r = client.post("/login", data={"username": "pm", "password": "correct horse 1", "csrf_token": token,
                                    "next": "/projects/P1"})
    assert r.status_code == 302 and r.headers["Location"] == "/projects/P1"
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/").status_code == 200
    r = client.post("/logout", data={"csrf_token": actions.csrf()})
    assert r.status_code == 302
    assert client.get("/").status_code == 302


def test_logout_without_csrf_is_refused(actions, client):
    actions.login("pm")
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200


def test_next_is_never_an_external_url(client, world):
    page = client.get("/login")
    token = csrf_of(page.get_data(as_text=True))
    r = client.post("/login", data={"username": "pm", "password": "correct horse 1", "csrf_token": token,
                                    "next": "//evil.example/x"})
    assert r.headers["Location"] == "/"


def test_wrong_password_then_throttled_then_clock_releases(actions, client, clock):
    for _ in range(3):
        actions.login("pm", "wrong password", expect=401)
    # locked now: even the right password is refused until the window passes
    r_page = client.get("/login")
    r = client.post("/login", data={"username": "pm", "password": "correct horse 1",
                                    "csrf_token": csrf_of(r_page.get_data(as_text=True))})
    assert r.status_code == 429
    assert "30" in r.get_data(as_text=True)
    # another user from the same address is not affected
    actions.login("engineer")
    client.post("/logout", data={"csrf_token": actions.csrf()})
    clock.advance(seconds=31)
    actions.login("pm")


def test_throttle_window_doubles(actions, clock):
    for _ in range(3):
        actions.login("pm", "bad", expect=401)
    clock.advance(seconds=31)
    actions.login("pm", "bad", expect=401)  # 4th failure: 60 s
    clock.advance(seconds=31)
    actions.login("pm", expect=429)
    clock.advance(seconds=30)
    actions.login("pm")


def test_password_change_logs_out_other_sessions(actions, app, client):
    actions.login("pm")
    with app.app_context():
        from core import db
        from core.users import get_user, set_password
        set_password(get_user("pm"), "another password 2")
        db.session().commit()
    assert client.get("/").status_code == 302


def test_language_switch(actions, client):
    actions.login("pm")
    assert "项目总览" in client.get("/").get_data(as_text=True)
    r = client.get("/lang/en?next=/")
    assert r.status_code == 302 and r.headers["Location"] == "/"
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in html and "Portfolio" in html and "项目总览" not in html
    client.get("/lang/zh")
    assert "项目总览" in client.get("/").get_data(as_text=True)
    assert client.get("/lang/en?next=https://evil.example").headers["Location"] == "/"


def test_every_template_string_has_an_english_translation():
    import re
    from pathlib import Path
    from web.i18n import catalog
    EN = catalog("en")
    root = Path(__file__).resolve().parent.parent / "web"
    found = set()
    for path in list((root / "templates").glob("*.html")) + list(root.glob("*.py")):
        found |= set(re.findall(r"""_\(\s*'([^']+)'""", path.read_text()))
        found |= set(re.findall(r'''_\(\s*"([^"]+)"''', path.read_text()))
    from web.i18n import ROLE_ZH, STATUS_ZH
    from maintenance.labels import EVENT_ZH, FAULT_STAGE_ZH, FAULT_STATUS_ZH
    found |= set(ROLE_ZH.values()) | set(STATUS_ZH.values()) | set(EVENT_ZH.values()) | set(FAULT_STATUS_ZH.values()) | set(FAULT_STAGE_ZH.values())
    found = {s for s in found if re.search(r"[\u4e00-\u9fff]", s)}
    missing = sorted(found - set(EN))
    assert not missing, missing
