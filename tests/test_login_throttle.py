"""The one password throttle (issue 11 finding 10, issue 12 point 3): the same argon2 work for
unknown users, every password check throttled (login and the sign form share the counters),
and counters shared between app instances (database store; Redis through `limits`)."""
from __future__ import annotations

import pytest

from conftest import PASSWORD
from web_support import csrf_of, login, page_token

REDIS_URL = "redis://127.0.0.1:6379/11"


def _redis_answers() -> bool:
    import redis
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1).ping())
    except redis.RedisError:
        return False


# The Redis store runs wherever Redis answers (every machine of this project has one at
# 127.0.0.1:6379); the database store always.
STORES = ["database"] + (["redis"] if _redis_answers() else [])


@pytest.fixture(params=STORES)
def store(request) -> str:
    if request.param == "redis":
        import redis
        redis.Redis.from_url(REDIS_URL).flushdb()
    return request.param


def _second_app(app, **extra):
    """Another app server over the same database and data folder (another process, in effect)."""
    from app import create_app
    cfg = {k: app.config[k] for k in ("HANDOVER_DATA", "DATABASE_URL", "SECRET_KEY", "CLOCK")}
    return create_app({**cfg, "TESTING": True, "WTF_CSRF_ENABLED": True, **extra})


def _post_login(client, username, password, addr="127.0.0.1"):
    client.delete_cookie("session")
    token = csrf_of(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": addr})


def _latest_version(app, world, upload, client):
    ds = client.get("/api/projects/P1/deliverables", headers=world.h("pm")).json
    d = next(d for d in ds if d["document_key"] == "test_plan")
    return d["id"], upload(d["id"], b"plan v1", "plan.txt")["id"]


def _sign(client, d_id, vid, password):
    token = page_token(client, f"/deliverables/{d_id}")
    client.post(f"/versions/{vid}/sign", data={"csrf_token": token, "decision": "approve", "comment": "ok",
                                               "password": password})
    return client.get(f"/deliverables/{d_id}").get_data(as_text=True)


def test_eight_wrong_sign_form_passwords_get_locked(app, client, world, upload, clock):
    d_id, vid = _latest_version(app, world, upload, client)
    login(client, "pm")
    pages = [_sign(client, d_id, vid, f"wrong {i}") for i in range(8)]
    assert all("密码错误，未签署" in p for p in pages[:3])
    assert all("密码错误次数过多" in p for p in pages[3:]), pages[3][:2000]
    html = _sign(client, d_id, vid, PASSWORD)  # the right password is not even checked while locked
    assert "密码错误次数过多" in html
    [version] = client.get(f"/api/deliverables/{d_id}/versions", headers=world.h("pm")).json
    assert version["signoffs"] == []
    # the same counters guard the login form: guessing on one form locks the other
    assert _post_login(app.test_client(), "pm", PASSWORD).status_code == 429
    clock.advance(minutes=20)
    login(client, "pm")
    html = _sign(client, d_id, vid, PASSWORD)
    assert "已签署 V1" in html


def test_failures_on_one_app_server_count_on_the_other(app, world, store, clock):
    extra = {"HANDOVER_REDIS_URL": REDIS_URL} if store == "redis" else {}
    one = _second_app(app, **extra)
    two = _second_app(app, **extra)
    a, b = one.test_client(), two.test_client()
    assert _post_login(a, "pm", "bad 1").status_code == 401
    assert _post_login(b, "pm", "bad 2").status_code == 401
    assert _post_login(a, "pm", "bad 3").status_code == 401
    r = _post_login(b, "pm", PASSWORD)
    assert r.status_code == 429 and "30" in r.get_data(as_text=True)
    assert _post_login(a, "pm", PASSWORD).status_code == 429
    assert _post_login(a, "engineer", PASSWORD).status_code == 302  # another account is not affected
    clock.advance(seconds=31)
    assert _post_login(b, "pm", PASSWORD).status_code == 302  # a success clears the counters everywhere
    assert _post_login(a, "pm", "bad 4").status_code == 401
    assert _post_login(b, "pm", PASSWORD).status_code == 302
    for application in (one, two):
        application.extensions["handover.db"].kw["bind"].dispose()


def test_five_failures_from_different_addresses_lock_the_account(app, world, store, clock):
    extra = {"HANDOVER_REDIS_URL": REDIS_URL} if store == "redis" else {}
    c = _second_app(app, **extra).test_client()
    for i in range(5):
        assert _post_login(c, "client", "guess", addr=f"10.0.0.{i}").status_code == 401
    r = _post_login(c, "client", PASSWORD, addr="10.9.9.9")
    assert r.status_code == 429
    assert _post_login(c, "pm", PASSWORD, addr="10.9.9.9").status_code == 302
    clock.advance(seconds=31)
    assert _post_login(c, "client", PASSWORD, addr="10.9.9.9").status_code == 302


class _CountingHasher:
    """Wraps the argon2 hasher and counts verifications."""

    def __init__(self, inner):
        self.inner, self.verified = inner, []

    def hash(self, password):
        return self.inner.hash(password)

    def verify(self, stored, password):
        self.verified.append(stored)
        return self.inner.verify(stored, password)


def test_unknown_inactive_and_passwordless_users_cost_one_hash_verification(app, client, world, monkeypatch):
    import core.auth
    from core import db
    from core.users import create_user, get_user, update_user
    with app.app_context():
        create_user("nopass", "engineer")  # an API-only account
        update_user(get_user("outsider"), get_user("admin"), active=False)
        db.session().commit()
    counter = _CountingHasher(core.auth._hasher)
    monkeypatch.setattr(core.auth, "_hasher", counter)
    for username, addr in (("nobody-here", "10.1.0.1"), ("pm", "10.1.0.2"), ("outsider", "10.1.0.3"),
                           ("nopass", "10.1.0.4"), ("", "10.1.0.5")):
        before = len(counter.verified)
        assert _post_login(client, username, "not the password", addr=addr).status_code == 401
        assert len(counter.verified) == before + 1, username
    # an unknown user's attempt is verified against a real argon2id hash with the same parameters
    dummy, real = counter.verified[0], counter.verified[1]
    assert dummy.startswith("$argon2id$") and dummy.split("$")[3] == real.split("$")[3]
    # and unknown names are throttled like known ones
    for _ in range(2):
        _post_login(client, "nobody-here", "x", addr="10.1.0.1")
    assert _post_login(client, "nobody-here", "x", addr="10.1.0.1").status_code == 429


def test_unreachable_redis_refuses_password_checks(app, world):
    c = _second_app(app, HANDOVER_REDIS_URL="redis://127.0.0.1:1/0").test_client()
    r = _post_login(c, "pm", PASSWORD)
    assert r.status_code == 503 and "Traceback" not in r.get_data(as_text=True)
    assert c.get("/").status_code == 302
