"""Server-side sessions (issue 11, finding 7): logout, password change, role change and
deactivation end sessions at once; a deactivated user's API tokens stay revoked."""
from __future__ import annotations

from sqlalchemy import select

from conftest import PASSWORD
from web_support import login, page_token


def _replay(app, cookie_value: str):
    """A second browser holding a saved copy of the session cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie_value)
    return other


def _admin_post(client, username: str, **form):
    token = page_token(client, "/admin/users")
    return client.post(f"/admin/users/{username}", data={"csrf_token": token, **form})


def _session_rows(app, username: str):
    from core import db
    from core.models import User, WebSession
    with app.app_context():
        return list(db.session().scalars(select(WebSession).join(User, User.id == WebSession.user_id)
                                         .where(User.username == username)))


def test_saved_cookie_replayed_after_logout_gets_the_login_page(app, client, world):
    login(client, "pm")
    saved = client.get_cookie("session").value
    thief = _replay(app, saved)
    assert thief.get("/projects/P1").status_code == 200  # the copy works while the session lives
    assert client.post("/logout", data={"csrf_token": page_token(client)}).status_code == 302
    r = thief.get("/projects/P1")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert "智慧园区" not in thief.get("/projects/P1", follow_redirects=True).get_data(as_text=True)
    assert _session_rows(app, "pm") == []


def test_session_row_records_user_ip_and_last_seen(app, client, world, clock):
    login(client, "engineer")
    [row] = _session_rows(app, "engineer")
    assert row.ip == "127.0.0.1" and row.created_at == row.last_seen == clock.value
    assert len(row.id) == 64 and row.id not in client.get_cookie("session").value  # only the digest is stored
    clock.advance(minutes=1)
    client.get("/")
    assert _session_rows(app, "engineer")[0].last_seen == row.created_at  # not a write on every page
    clock.advance(minutes=10)
    client.get("/")
    assert _session_rows(app, "engineer")[0].last_seen == clock.value


def test_login_again_in_the_same_browser_ends_the_earlier_session(app, client, world):
    login(client, "pm")
    first = client.get_cookie("session").value
    r = client.post("/login", data={"username": "pm", "password": PASSWORD, "csrf_token": page_token(client, "/")})
    assert r.status_code == 302
    assert len(_session_rows(app, "pm")) == 1
    assert _replay(app, first).get("/").status_code == 302


def test_password_change_ends_every_session_of_that_user_only(app, world):
    laptop, phone, admin = app.test_client(), app.test_client(), app.test_client()
    login(laptop, "pm")
    login(phone, "pm")
    login(admin, "admin")
    login(other := app.test_client(), "engineer")
    assert len(_session_rows(app, "pm")) == 2
    r = _admin_post(admin, "pm", action="password", password="a new password 3")
    assert r.status_code == 302
    assert laptop.get("/").status_code == 302 and phone.get("/").status_code == 302
    assert admin.get("/").status_code == 200 and other.get("/").status_code == 200
    login(laptop, "pm", "a new password 3")


def test_role_change_ends_sessions_but_saving_unchanged_does_not(app, world):
    pm, admin = app.test_client(), app.test_client()
    login(pm, "pm")
    login(admin, "admin")
    assert _admin_post(admin, "pm", action="update", role="pm", active="1").status_code == 302
    assert pm.get("/").status_code == 200  # nothing changed: the session stays
    assert _admin_post(admin, "pm", action="update", role="engineer", active="1").status_code == 302
    r = pm.get("/projects/P1")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_deactivation_ends_sessions_and_tokens_stay_revoked_after_reactivation(app, world):
    pm, admin = app.test_client(), app.test_client()
    login(pm, "pm")
    login(admin, "admin")
    old_token = world.h("pm")
    assert pm.get("/api/me", headers=old_token).status_code == 200
    assert _admin_post(admin, "pm", action="update", role="pm").status_code == 302  # active unticked
    assert pm.get("/").status_code == 302
    assert pm.get("/api/me", headers=old_token).status_code == 401
    login(pm, "pm", expect=401)  # an inactive user cannot log in
    assert _admin_post(admin, "pm", action="update", role="pm", active="1").status_code == 302
    assert pm.get("/api/me", headers=old_token).status_code == 401  # reactivated: the old token stays dead
    login(pm, "pm")  # the password still works
    r = admin.post("/api/users/pm/token", headers=world.h("admin"))
    assert r.status_code == 201
    assert pm.get("/api/me", headers={"Authorization": f"Bearer {r.json['token']}"}).status_code == 200
    from core import db
    from core.models import AuditEntry
    with app.app_context():
        details = list(db.session().scalars(select(AuditEntry.detail).where(AuditEntry.action == "user.update")))
    assert any('"tokens_revoked": 1' in d and '"sessions_ended": 1' in d for d in details)


def test_migration_revokes_live_tokens_of_inactive_users(backend, tmp_path):
    """A user deactivated before 0004 must not get his old token back on reactivation either."""
    from sqlalchemy import text
    from migration_support import database_at_0003
    with database_at_0003(backend, tmp_path) as (engine, _url, upgrade_to_head):
        with engine.begin() as conn:
            for uid, active in ((1, True), (2, False)):
                conn.execute(text("INSERT INTO users (id, username, display_name, role, organisation, email, phone, "
                                  "password_hash, active, created_at) VALUES (:id, :u, '', 'pm', '', '', '', '', :a, "
                                  "'2026-01-01 00:00:00')"), {"id": uid, "u": f"u{uid}", "a": active})
                conn.execute(text("INSERT INTO api_tokens (user_id, token_hash, created_at) "
                                  "VALUES (:id, :h, '2026-01-01 00:00:00')"), {"id": uid, "h": f"{uid:064d}"})
        upgrade_to_head()
        with engine.connect() as conn:
            live = conn.execute(text("SELECT user_id FROM api_tokens WHERE revoked_at IS NULL")).scalars().all()
            assert live == [1]
            assert conn.execute(text("SELECT count(*) FROM sessions")).scalar() == 0
