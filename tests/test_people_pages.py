"""Issue 16, points 1 and 2: setting up projects in the pages (create, edit, members by
organisation) and safe administration (last admin, disabled users, API tokens, the
`flask user role|disable|enable` commands). Test client pages and API on both databases;
the commands as subprocesses."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
FLASK = [sys.executable, "-m", "flask", "--app", "app"]
CLIENT_ORG = "某市城市管理局"  # P1's client in the world fixture


def post(actions, path: str, data: dict, page: str | None = None):
    """A form post from `page` (default: `path`) with its CSRF token; follows the redirect."""
    token = actions.csrf(page or path)
    return actions.client.post(path, data={"csrf_token": token, **data}, follow_redirects=True)


def make_user(app, username: str, role: str, organisation: str = "") -> str:
    """A user through the operation (the admin page's own); returns his API token."""
    from core import db
    from core.users import create_user
    with app.app_context():
        _, token = create_user(username, role, password=PASSWORD, organisation=organisation)
        db.session().commit()
    return token


def test_pm_creates_a_project_with_dates_and_vendor_members(actions, client, backend):
    actions.login("engineer")
    assert client.get("/projects/new").status_code == 403
    assert "新建项目" not in client.get("/").get_data(as_text=True)  # not offered
    actions.login("pm")
    html = client.get("/projects/new").get_data(as_text=True)
    assert 'name="code"' in html and 'name="maintenance_start"' in html and 'value="engineer"' in html
    assert 'value="client"' not in html  # clients come after, by organisation
    r = post(actions, "/projects/new", {"code": "NEW-1", "name": "新项目", "client": CLIENT_ORG, "vendor": "",
                                        "start_date": "2026-01-05", "warranty_until": "2027-01-04",
                                        "maintenance_start": "2026-11-01", "members": ["engineer"]})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "已创建项目 NEW-1" in html and "项目成员" in html  # on its members page
    p = client.get("/api/projects/NEW-1", headers=actions.world.h("pm")).json
    assert (p["start_date"], p["warranty_until"], p["maintenance_start"]) == ("2026-01-05", "2027-01-04", "2026-11-01")
    assert p["vendor"] and {m["username"] for m in p["members"]} == {"pm", "engineer"}  # the creating pm too
    assert len(client.get("/api/projects/NEW-1/deliverables", headers=actions.world.h("pm")).json) == 33
    assert client.get("/api/projects/NEW-1/records", headers=actions.world.h("pm")).json  # materialized
    assert "新项目" in client.get("/").get_data(as_text=True)
    # refused: the form comes back refilled, with the reason in the user's language
    r = post(actions, "/projects/new", {"code": "NEW-1", "name": "重复", "client": "x"}, page="/projects/new")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'class="flash error"' in html and 'value="重复"' in html
    r = post(actions, "/projects/new", {"code": "new", "name": "x", "client": "x"}, page="/projects/new")
    assert "已被页面地址占用" in r.get_data(as_text=True)
    r = post(actions, "/projects/new", {"code": "NEW-2", "name": "x", "client": "x", "warranty_until": "2026-13-01"},
             page="/projects/new")
    assert 'class="flash error"' in r.get_data(as_text=True)
    r = post(actions, "/projects/new", {"code": "NEW-3", "name": "  ", "client": "x"}, page="/projects/new")
    assert "请填写必填项" in r.get_data(as_text=True)
    assert client.get("/api/projects/NEW-2", headers=actions.world.h("admin")).status_code == 404
    assert actions.client.post("/api/projects", json={"code": "NEW", "name": "x", "client": "y"},
                               headers=actions.world.h("admin")).status_code == 400


def test_edit_sets_the_maintenance_start_the_maintenance_page_asks_for(actions, client, backend):
    actions.login("pm")
    html = client.get("/projects/P1/maintenance").get_data(as_text=True)
    assert "尚未设置运维开始日期" in html and "/projects/P1/edit" in html
    r = post(actions, "/projects/P1/edit", {"name": "智慧园区综合管理平台", "client": CLIENT_ORG, "vendor": "乙方公司",
                                            "maintenance_start": "2026-11-09", "warranty_until": "2027-11-08"})
    assert "项目已保存" in r.get_data(as_text=True)
    p = client.get("/api/projects/P1", headers=actions.world.h("pm")).json
    assert (p["maintenance_start"], p["warranty_until"], p["vendor"]) == ("2026-11-09", "2027-11-08", "乙方公司")
    html = client.get("/projects/P1/maintenance").get_data(as_text=True)
    assert "尚未设置运维开始日期" not in html and 'class="m-rec ' in html  # the instances show at once
    assert "2026-W48" in client.get("/projects/P1/maintenance?view=list").get_data(as_text=True)
    r = post(actions, "/projects/P1/edit", {"name": "", "client": CLIENT_ORG})
    assert "请填写必填项" in r.get_data(as_text=True)
    assert client.get("/api/projects/P1", headers=actions.world.h("pm")).json["name"] == "智慧园区综合管理平台"
    actions.login("engineer")
    assert client.get("/projects/P1/edit").status_code == 403
    assert "/projects/P1/edit" not in client.get("/projects/P1/maintenance").get_data(as_text=True)
    actions.login("pm2")
    assert client.get("/projects/P1/edit").status_code == 404


def test_member_picker_offers_the_vendor_and_only_the_projects_client(app, actions, client, backend):
    make_user(app, "kehu_same", "client", CLIENT_ORG)
    make_user(app, "kehu_other", "client", "另一家客户")
    actions.login("pm")
    html = client.get("/projects/P1/members").get_data(as_text=True)
    assert 'value="kehu_same"' in html and 'value="kehu_other"' not in html and 'value="pm2"' in html
    assert 'value="client2"' not in html  # no organisation recorded: not offered
    r = post(actions, "/projects/P1/members", {"username": "kehu_same", "action": "add"})
    assert "已添加 kehu_same" in r.get_data(as_text=True)
    r = post(actions, "/projects/P1/members", {"username": "kehu_same", "action": "add"})
    assert "kehu_same 已是本项目成员，未作改动" in r.get_data(as_text=True)
    # a client of another organisation: refused by the operation, whatever the surface
    r = post(actions, "/projects/P1/members", {"username": "kehu_other", "action": "add"})
    assert "只能加入甲方为其单位的项目" in r.get_data(as_text=True)
    r = client.post("/api/projects/P1/members", json={"username": "kehu_other"}, headers=actions.world.h("pm"))
    assert r.status_code == 409 and r.json["error"]["code"] == "client_other_organisation"
    assert "kehu_other" not in {m["username"] for m in client.get("/api/projects/P1/members",
                                                                   headers=actions.world.h("pm")).json}


def test_the_last_pm_stays_and_removing_oneself_asks_first(actions, client, backend):
    actions.login("pm")
    html = client.get("/projects/P1/members").get_data(as_text=True)
    assert "唯一的项目经理，不能移出" in html
    r = client.delete("/api/projects/P1/members/pm", headers=actions.world.h("admin"))
    assert r.status_code == 409 and r.json["error"]["code"] == "last_pm"
    assert "中文" not in r.json["error"]["message"] and "last pm" in r.json["error"]["message"]
    r = client.delete("/api/projects/P1/members/pm", headers={**actions.world.h("admin"), "Accept-Language": "zh-CN"})
    assert r.status_code == 409
    r = post(actions, "/projects/P1/members", {"username": "pm", "action": "remove"})
    assert "不能移出本项目唯一的项目经理" in r.get_data(as_text=True)
    assert client.post("/api/projects/P1/members", json={"username": "pm2"},
                       headers=actions.world.h("pm")).status_code == 201
    # now two pms: removing oneself needs a confirmation, removing the other does not
    html = client.get("/projects/P1/members").get_data(as_text=True)
    assert "confirm_remove=pm" in html and "唯一的项目经理" not in html
    r = post(actions, "/projects/P1/members", {"username": "pm", "action": "remove"})
    html = r.get_data(as_text=True)
    assert "确定将自己移出本项目" in html and 'name="confirm" value="1"' in html
    assert "pm" in {m["username"] for m in client.get("/api/projects/P1/members", headers=actions.world.h("pm")).json}
    r = post(actions, "/projects/P1/members", {"username": "pm", "action": "remove", "confirm": "1"},
             page="/projects/P1/members")
    assert r.request.path == "/" and "已将 pm 移出本项目" in r.get_data(as_text=True)
    assert client.get("/projects/P1").status_code == 404  # gone at once
    r = post(actions, "/projects/P1/members", {"username": "engineer", "action": "remove"}, page="/")
    assert r.status_code == 404


def test_last_admin_is_kept_and_disabled_users_lose_access_at_once(app, actions, client, backend):
    from core import db
    from core.models import AuditEntry
    actions.login("admin")
    html = client.get("/admin/users").get_data(as_text=True)
    assert html.count("最后一位管理员") == 1 and 'aria-label="admin 的角色"' not in html  # not offered
    r = post(actions, "/admin/users/admin", {"action": "update", "role": "pm", "active": "1"}, page="/admin/users")
    assert "admin 是最后一位启用的管理员" in r.get_data(as_text=True)
    r = post(actions, "/admin/users/admin", {"action": "update", "role": "admin"}, page="/admin/users")  # unchecked
    assert "最后一位启用的管理员" in r.get_data(as_text=True)
    client.set_cookie("lang", "en")
    r = post(actions, "/admin/users/admin", {"action": "update", "role": "engineer", "active": "1"},
             page="/admin/users")
    assert "admin is the last active admin and cannot be demoted or disabled" in r.get_data(as_text=True)
    client.delete_cookie("lang")
    assert client.get("/api/me", headers=actions.world.h("admin")).json["role"] == "admin"
    # the engineer is disabled: his page session and API token stop at once, his history stays
    other = app.test_client()
    from web_support import login
    login(other, "engineer")
    assert other.get("/projects/P1").status_code == 200
    with app.app_context():
        audit_before = db.session().scalar(select(func.count()).select_from(AuditEntry))
    post(actions, "/admin/users/engineer", {"action": "update", "role": "engineer", "organisation": "乙方公司"},
         page="/admin/users")
    assert other.get("/projects/P1").status_code == 302  # back to the login page
    assert client.get("/api/me", headers=actions.world.h("engineer")).status_code == 401
    login(other, "engineer", expect=401)
    html = client.get("/admin/users").get_data(as_text=True)
    assert "engineer" in html and "乙方公司" in html
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(AuditEntry)) > audit_before
    # with a second admin the first may step down
    post(actions, "/admin/users/pm", {"action": "update", "role": "admin", "active": "1"}, page="/admin/users")
    r = post(actions, "/admin/users/admin", {"action": "update", "role": "pm", "active": "1"}, page="/admin/users")
    assert "已保存 admin" in r.get_data(as_text=True) or r.request.path == "/login"


def test_tokens_listed_with_last_use_and_revocable(app, actions, client, clock, backend):
    h = actions.world.h("engineer")
    actions.login("engineer")
    assert "/tokens" in client.get("/settings").get_data(as_text=True)
    html = client.get("/tokens").get_data(as_text=True)
    assert "从未使用" in html and "有效" in html
    clock.advance(minutes=3)
    assert client.get("/api/me", headers=h).status_code == 200
    html = client.get("/tokens").get_data(as_text=True)
    assert "从未使用" not in html and "2026-11-25 10:03" in html  # Shanghai time of the use
    token_id = html.split('name="token_id" value="')[1].split('"')[0]
    assert client.get("/admin/users/pm/tokens").status_code == 403  # not someone else's
    r = post(actions, "/tokens", {"token_id": token_id})
    assert "令牌已作废" in r.get_data(as_text=True) and "已作废" in r.get_data(as_text=True)
    assert client.get("/api/me", headers=h).status_code == 401
    r = post(actions, "/tokens", {"token_id": "99999"}, page="/tokens")
    assert "找不到该令牌" in r.get_data(as_text=True)
    # an admin sees and revokes another user's tokens
    actions.login("admin")
    html = client.get("/admin/users/client/tokens").get_data(as_text=True)
    assert "API 令牌" in html and "CLIENT" in html
    cid = html.split('name="token_id" value="')[1].split('"')[0]
    post(actions, "/admin/users/client/tokens", {"token_id": cid})
    assert client.get("/api/me", headers=actions.world.h("client")).status_code == 401
    r = post(actions, "/admin/users/client/tokens", {"token_id": token_id}, page="/admin/users/client/tokens")
    assert "找不到该令牌" in r.get_data(as_text=True)  # the engineer's token is not the client's


def _env(tmp_path, backend, request) -> dict:
    env = dict(os.environ, HANDOVER_DATA=str(tmp_path / "data"))
    env.pop("DATABASE_URL", None)
    if backend == "postgresql":
        request.getfixturevalue("pg_ready")
        from conftest import PG_URL, _truncate_pg
        _truncate_pg(PG_URL)
        env["DATABASE_URL"] = PG_URL
    return env


def run(args, env, check=True):
    r = subprocess.run(FLASK + args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    if check:
        assert r.returncode == 0, r.stderr + r.stdout
    return r


def test_user_role_disable_enable_commands(tmp_path, backend, request):
    env = _env(tmp_path, backend, request)
    run(["init"], env)
    boss = run(["user", "create", "boss", "--role", "admin", "--password", "s3cret-pass"], env).stdout.splitlines()[-1]
    r = run(["user", "role", "boss", "pm"], env, check=False)
    assert r.returncode == 1 and "last active admin" in r.stderr
    r = run(["user", "disable", "boss"], env, check=False)
    assert r.returncode == 1 and "last active admin" in r.stderr
    eng = run(["user", "create", "gong", "--role", "engineer"], env).stdout.splitlines()[-1]
    assert "gong is now admin" in run(["user", "role", "gong", "admin"], env).stdout
    assert "boss is now pm" in run(["user", "role", "boss", "pm"], env).stdout  # another admin exists now
    r = run(["user", "disable", "gong"], env, check=False)  # gong is the last admin now
    assert r.returncode == 1 and "last active admin" in r.stderr
    assert "boss is now admin" in run(["user", "role", "boss", "admin"], env).stdout
    assert "gong disabled" in run(["user", "disable", "gong"], env).stdout
    from app import create_app
    app = create_app({"HANDOVER_DATA": env["HANDOVER_DATA"], "DATABASE_URL": env.get("DATABASE_URL", "")
                      or f"sqlite:///{tmp_path / 'data' / 'handover.db'}"})
    c = app.test_client()
    try:
        assert c.get("/api/me", headers={"Authorization": f"Bearer {eng}"}).status_code == 401  # disabled
        assert c.get("/api/me", headers={"Authorization": f"Bearer {boss}"}).json["role"] == "admin"
        assert "gong enabled" in run(["user", "enable", "gong"], env).stdout
        assert c.get("/api/me", headers={"Authorization": f"Bearer {eng}"}).status_code == 401  # revoked for good
        new = run(["user", "token", "gong"], env).stdout.splitlines()[-1]
        assert c.get("/api/me", headers={"Authorization": f"Bearer {new}"}).json["role"] == "admin"
    finally:
        app.extensions["handover.db"].kw["bind"].dispose()


def _at_once(app, jobs) -> list[str]:
    """Run the operations `jobs` ((fn, args) with usernames) in threads at the same time, each
    in its own app context and transaction; "ok" or the refusal's code for each."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier
    from core import db
    from core.errors import HandoverError
    barrier = Barrier(len(jobs))

    def run_one(job):
        fn, args = job
        with app.app_context():
            s = db.session()
            barrier.wait()
            try:
                fn(*args)
                s.commit()
                return "ok"
            except HandoverError as exc:
                s.rollback()
                return exc.code
    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(run_one, jobs))


def test_two_admins_demoting_each_other_at_once_leave_one(app, world, backend):
    from core import db
    from core.models import User
    from core.users import get_user, update_user
    from projects.membership import add_member, remove_member
    from projects.models import Project

    def demote(actor, target):
        update_user(get_user(target), get_user(actor), role="engineer")

    def make_admin(name):
        with app.app_context():
            update_user(get_user(name), None, role="admin")
            db.session().commit()

    for _ in range(4):
        make_admin("pm2")
        outcomes = _at_once(app, [(demote, ("admin", "pm2")), (demote, ("pm2", "admin"))])
        # the loser is refused: as the last admin, or (when he waited before reading) as no admin any more
        assert sorted(outcomes) in (["last_admin", "ok"], ["admin_only", "ok"]), outcomes
        with app.app_context():
            admins = list(db.session().scalars(select(User.username).where(User.role == "admin", User.active.is_(True))))
        assert len(admins) == 1, admins
        make_admin("admin")  # back to the world: admin an admin, pm2 a pm
        with app.app_context():
            update_user(get_user("pm2"), None, role="pm")
            db.session().commit()

    def remove(actor, target):
        p = db.session().scalar(select(Project).where(Project.code == "P2"))
        remove_member(get_user(actor), p, get_user(target))

    with app.app_context():  # P2 gets a second pm; both pms remove the other at once
        p2 = db.session().scalar(select(Project).where(Project.code == "P2"))
        add_member(None, p2, get_user("pm"))
        db.session().commit()
    outcomes = _at_once(app, [(remove, ("pm", "pm2")), (remove, ("pm2", "pm"))])
    assert sorted(outcomes) in (["last_pm", "ok"], ["members_only", "ok"]), outcomes  # the loser is out already
    r = app.test_client().get("/api/projects/P2/members", headers=world.h("admin"))
    assert [m["role"] for m in r.json].count("pm") == 1
