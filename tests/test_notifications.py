"""Notifications (issue 13 point 4) against real local servers: an SMTP server (aiosmtpd) and
an HTTP receiver standing in for the group robots. The outbox is written in the event's
transaction; the worker (in-process here, a real `flask worker` process in the outage test)
sends each notice once. SQLite and PostgreSQL (`backend`)."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

import pytest
from sqlalchemy import func, select, update

from core import db
from mail_servers import HttpReceiver, SmtpServer
from processes import stop, wait_for, wait_for_line

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASE = "https://handover.example.cn"


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def robot():
    receiver = HttpReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
def notify_app(app, smtp, robot):
    """The app with SMTP at the local server, links under BASE, robots allowed on 127.0.0.1."""
    app.config.update(HANDOVER_SMTP_URL=smtp.url, HANDOVER_BASE_URL=BASE, HANDOVER_MAIL_FROM="noreply@example.cn",
                      HANDOVER_WEBHOOK_HOSTS="127.0.0.1")
    return app


def set_email(client, world, who: str, address: str | None = None, **notices) -> dict:
    body = {"email": address if address is not None else f"{who}@example.cn"}
    if notices:
        body["notices"] = notices
    r = client.put("/api/me/notifications", json=body, headers=world.h(who))
    assert r.status_code == 200, r.json
    return r.json


def send(app) -> dict:
    """One run of the worker's sending job (what `flask worker` runs every minute and after commits)."""
    from notifications.sender import send_pending
    with app.app_context():
        counts = send_pending()
        db.session().commit()
    return counts


def outbox(app, **where) -> list:
    from notifications.models import OutboxMessage
    with app.app_context():
        q = select(OutboxMessage).order_by(OutboxMessage.id)
        for k, v in where.items():
            q = q.where(getattr(OutboxMessage, k) == v)
        return list(db.session().scalars(q))


def to(messages: list[dict], address: str, text: str = "") -> list[dict]:
    return [m for m in messages if m["to"] == [address] and text in m["subject"]]


# --- e-mail ----------------------------------------------------------------------------------

def test_fault_reported_mails_pm_and_engineers_once(notify_app, client, world, actions, smtp):
    for who in ("pm", "engineer", "client"):
        set_email(client, world, who)
    fault = actions.report_fault(who="client", level=2, title="门禁控制器离线", expect=201).json
    assert send(notify_app)["sent"] == 2
    assert send(notify_app)["sent"] == 0  # nothing twice
    assert len(smtp.messages) == 2
    for who in ("pm", "engineer"):
        [m] = to(smtp.messages, f"{who}@example.cn")
        assert "新故障" in m["subject"] and "门禁控制器离线" in m["subject"] and "二级" in m["subject"]
        assert f"{BASE}/faults/{fault['id']}" in m["body"]
        assert "响应时限" in m["body"] and m["from"] == "noreply@example.cn"
    assert not to(smtp.messages, "client@example.cn")  # the reporter is not told of his own report
    assert all(r.status == "sent" and r.attempts == 1 for r in outbox(notify_app))


def test_escalation_mails_pm_and_client(notify_app, client, world, actions, smtp, clock):
    for who in ("pm", "engineer", "client"):
        set_email(client, world, who)
    fault = actions.report_fault(who="engineer", level=4, title="摄像头画面卡顿", expect=201).json
    clock.advance(days=5)  # far past the level-4 restore deadline
    actions.worker_ticks()
    actions.worker_ticks()  # a second tick escalates nothing new and tells nobody again
    send(notify_app)
    send(notify_app)
    escalations = [m for m in smtp.messages if "故障升级" in m["subject"]]
    levels = {m["subject"].split("：")[-1] for m in escalations}
    assert escalations and {m["to"][0] for m in escalations} == {"pm@example.cn", "client@example.cn"}
    for address in ("pm@example.cn", "client@example.cn"):
        mine = to(smtp.messages, address, "故障升级")
        assert len(mine) == len(levels)  # one per escalation step and recipient
        assert all(f"{BASE}/faults/{fault['id']}" in m["body"] for m in mine)
    assert not to(smtp.messages, "engineer@example.cn", "故障升级")


def test_preferences_and_addresses_decide_who_gets_mail(notify_app, client, world, actions, smtp):
    set_email(client, world, "pm", fault=False)
    set_email(client, world, "engineer")
    r = client.put("/api/me/notifications", json={"email": "not an address"}, headers=world.h("engineer"))
    assert r.status_code == 400 and r.json["error"]["code"] == "invalid_email"
    r = client.put("/api/me/notifications", json={"notices": {"nonsense": True}}, headers=world.h("engineer"))
    assert r.status_code == 400
    assert client.get("/api/me/notifications", headers=world.h("pm")).json["notices"]["fault"] is False
    actions.report_fault(who="client", expect=201)
    send(notify_app)
    assert [m["to"] for m in smtp.messages] == [["engineer@example.cn"]]


def test_smtp_server_failing_mid_way_then_back_sends_each_once(notify_app, client, world, actions, smtp, clock):
    for who in ("pm", "engineer"):
        set_email(client, world, who)
    for i in range(3):
        actions.report_fault(who="client", title=f"停电{i}", expect=201)
    smtp.accept_only = 2  # takes two messages, then fails every one
    assert send(notify_app) == {"sent": 2, "failed": 4, "skipped": 0}
    waiting = outbox(notify_app, status="pending")
    assert len(waiting) == 4 and all(r.attempts == 1 and "421" in r.last_error for r in waiting)
    assert send(notify_app)["sent"] == 0  # backing off: not tried again at once
    smtp.accept_only = None  # back
    clock.advance(seconds=31)
    assert send(notify_app) == {"sent": 4, "failed": 0, "skipped": 0}
    assert send(notify_app)["sent"] == 0
    assert len(smtp.messages) == 6
    assert sorted((m["to"][0], m["subject"]) for m in smtp.messages) == sorted(
        {(m["to"][0], m["subject"]) for m in smtp.messages})  # one per event and recipient
    assert all(r.status == "sent" for r in outbox(notify_app))


def test_no_smtp_url_queues_no_mail(app, client, world, actions):
    app.config["HANDOVER_SMTP_URL"] = ""
    set_email(client, world, "pm")
    actions.report_fault(who="client", expect=201)
    assert outbox(app) == []


def test_outbox_row_is_in_the_event_transaction(notify_app, client, world):
    """The notice is written with the event: a rolled-back report leaves no outbox row."""
    from core.models import User
    from maintenance.faults import report_fault
    from notifications.models import OutboxMessage
    from projects.models import Project
    set_email(client, world, "pm")
    with notify_app.app_context():
        s = db.session()
        user = s.get(User, world.ids["client"])
        report_fault(user, s.get(Project, world.ids["P1"]), level=3, title="回滚", channel="phone")
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 1
        s.rollback()
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert outbox(notify_app) == []


def test_version_events_tell_who_may_act_and_the_uploader(notify_app, client, world, actions, smtp):
    """version_waiting / version_rejected, as the workflow calls them inside its transaction."""
    from core.models import User
    from deliverables.models import Signoff, Version
    from notifications.events import version_rejected, version_waiting
    for who in ("pm", "engineer"):
        set_email(client, world, who)
    d = actions.deliverable("test_plan")
    v = actions.upload(d["id"], "测试计划 V1", "plan.txt", who="engineer")
    with notify_app.app_context():
        s = db.session()
        version = s.get(Version, v["id"])
        pm = s.get(User, world.ids["pm"])
        step = {"key": "review", "name_zh": "审核", "role": "pm"}
        version_waiting(version, step, [pm])
        version_waiting(version, step, [pm])  # the same event again: not queued twice
        signoff = Signoff(version_id=version.id, sha256=version.sha256, user_id=pm.id, signer_name="PM",
                          role="pm", decision="reject", meaning="审核", comment="请补充测试用例", created_at=version.created_at)
        version_rejected(version, signoff)
        s.commit()
    send(notify_app)
    [waiting] = to(smtp.messages, "pm@example.cn")
    assert waiting["subject"].startswith("【P1】待您审核：") and f"{BASE}/deliverables/{d['id']}" in waiting["body"]
    [rejected] = to(smtp.messages, "engineer@example.cn")
    assert "被驳回" in rejected["subject"] and "请补充测试用例" in rejected["body"]


# --- reminders -------------------------------------------------------------------------------

def test_record_reminder_fires_once(notify_app, client, world, actions, smtp, clock):
    from projects.models import Project
    for who in ("pm", "engineer"):
        set_email(client, world, who)
    with notify_app.app_context():
        db.session().get(Project, world.ids["P1"]).maintenance_start = date(2026, 11, 23)
        db.session().commit()
    actions.worker_ticks()
    clock.advance(days=6)
    overdue = [r for r in actions.records() if r["status"] == "overdue"]
    assert overdue, "the test needs a record instance past its due time"
    for _ in range(3):  # the tick runs every minute: one reminder per record, not one per tick
        actions.worker_ticks()
        clock.advance(minutes=1)
    rows = outbox(notify_app, kind="reminder")
    keys = [(r.event_key, r.recipient) for r in rows]
    assert len(keys) == len(set(keys)) == 2 * len(overdue)
    send(notify_app)
    pm_mail = to(smtp.messages, "pm@example.cn", "提醒")
    assert len(pm_mail) == len(overdue) and all("已到期未提交" in m["subject"] for m in pm_mail)


def test_step_reminder_fires_once_for_who_may_act(notify_app, client, world, actions, smtp, clock):
    for who in ("pm", "engineer", "client"):
        set_email(client, world, who)
    r = client.put("/api/projects/P1/workflow", headers=world.h("pm"), json={"steps": [
        {"key": "review", "name_zh": "审核", "role": "pm", "due_days": 1},
        {"key": "confirm", "name_zh": "确认", "role": "client"}]})
    assert r.status_code == 200, r.json
    d = actions.deliverable("test_plan")
    actions.upload(d["id"], "测试计划", "plan.txt", who="engineer")
    actions.worker_ticks()
    assert outbox(notify_app, kind="reminder") == []  # not due yet
    clock.advance(days=4)  # past one working day
    for _ in range(3):
        actions.worker_ticks()
        clock.advance(minutes=1)
    [row] = outbox(notify_app, kind="reminder", channel="email")
    assert row.recipient == f"user:{world.ids['pm']}" and "审核已超期" in row.subject


# --- webhooks --------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu"])
def test_robot_gets_markdown_in_its_format(notify_app, client, world, actions, robot, kind):
    url = robot.url(f"/hook/{kind}?key=SECRET-KEY-0123456789")
    r = client.put("/api/projects/P1/webhook", json={"kind": kind, "url": url}, headers=world.h("admin"))
    assert r.status_code == 200, r.json
    shown = client.get("/api/projects/P1/webhook", headers=world.h("admin")).json["webhook"]
    assert shown["kind"] == kind and "SECRET-KEY" not in shown["url"] and shown["url"].endswith("6789")
    assert client.get("/api/projects/P1/webhook", headers=world.h("pm")).status_code == 403
    assert client.put("/api/projects/P1/webhook", json={"kind": kind, "url": url},
                      headers=world.h("pm")).status_code == 403
    fault = actions.report_fault(who="client", title="机房空调故障 *紧急*", expect=201).json
    assert send(notify_app)["sent"] == 1
    assert send(notify_app)["sent"] == 0
    [req] = robot.requests
    assert req["path"] == f"/hook/{kind}?key=SECRET-KEY-0123456789"
    assert req["headers"]["Content-Type"].startswith("application/json")
    body = req["json"]
    link = f"{BASE}/faults/{fault['id']}"
    if kind == "wecom":
        assert body["msgtype"] == "markdown" and set(body["markdown"]) == {"content"}
        text = body["markdown"]["content"]
    elif kind == "dingtalk":
        assert body["msgtype"] == "markdown" and set(body["markdown"]) == {"title", "text"}
        assert "新故障" in body["markdown"]["title"]
        text = body["markdown"]["text"]
    else:
        assert body["msg_type"] == "interactive"
        assert "新故障" in body["card"]["header"]["title"]["content"]
        [element] = body["card"]["elements"]
        assert element["text"]["tag"] == "lark_md"
        text = element["text"]["content"]
    assert f"]({link})" in text and "机房空调故障 \\*紧急\\*" in text


def test_disallowed_host_is_refused_and_never_contacted(notify_app, client, world, robot):
    # Same local server, but named by a host that is not in HANDOVER_WEBHOOK_HOSTS.
    for url in (f"http://localhost:{robot.port}/hook", "ftp://127.0.0.1/hook", "http://u:p@127.0.0.1/hook",
                "not a url", "http://127.0.0.1:99999/x"):
        r = client.put("/api/projects/P1/webhook", json={"kind": "wecom", "url": url}, headers=world.h("admin"))
        assert r.status_code == 400, (url, r.json)
    r = client.put("/api/projects/P1/webhook", json={"kind": "wecom", "url": f"http://localhost:{robot.port}/h"},
                   headers=world.h("admin"))
    assert r.json["error"]["code"] == "webhook_host_not_allowed"
    r = client.put("/api/projects/P1/webhook", json={"kind": "qq", "url": robot.url("/h")}, headers=world.h("admin"))
    assert r.status_code == 400
    assert client.get("/api/projects/P1/webhook", headers=world.h("admin")).json == {"webhook": None}
    assert robot.requests == []


def test_redirect_is_not_followed_and_the_notice_waits(notify_app, client, world, actions, robot):
    r = client.put("/api/projects/P1/webhook", json={"kind": "wecom", "url": robot.url("/redirect?key=abcdefgh")},
                   headers=world.h("admin"))
    assert r.status_code == 200
    actions.report_fault(who="client", expect=201)
    assert send(notify_app) == {"sent": 0, "failed": 1, "skipped": 0}
    assert [q["path"] for q in robot.requests] == ["/redirect?key=abcdefgh"]  # never /hook/landed
    [row] = outbox(notify_app, channel="webhook")
    assert row.status == "pending" and row.attempts == 1 and "302" in row.last_error
    assert row.next_try_at > row.created_at  # backed off
    env = dict(os.environ, HANDOVER_DATA=notify_app.config["HANDOVER_DATA"],
               DATABASE_URL=notify_app.config["DATABASE_URL"])
    out = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "notifications", "status"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("pending: 1, sending: 0, sent: 0, skipped: 0")
    assert f"#{row.id} pending webhook project:" in out.stdout and "HTTP 302" in out.stdout


# --- settings --------------------------------------------------------------------------------

def test_settings_page_saves_address_and_notices(notify_app, client, world, actions):
    actions.login("engineer")
    page = client.get("/settings")
    assert page.status_code == 200 and "个人设置" in page.get_data(as_text=True)
    token = actions.csrf("/settings")
    r = client.post("/settings", data={"csrf_token": token, "email": "gong@example.cn", "notice_sign": "1",
                                       "notice_fault": "1"})
    assert r.status_code == 302
    me = client.get("/api/me/notifications", headers=world.h("engineer")).json
    assert me == {"email": "gong@example.cn",
                  "notices": {"sign": True, "rejected": False, "fault": True, "escalation": False, "reminder": False}}
    r = client.post("/settings", data={"csrf_token": token, "email": "坏地址"}, follow_redirects=True)
    assert "电子邮箱地址无效" in r.get_data(as_text=True)
    assert client.get("/api/me/notifications", headers=world.h("engineer")).json["email"] == "gong@example.cn"
    client.get("/lang/en")
    html = client.get("/settings").get_data(as_text=True)
    assert "My settings" in html and "Fault escalations (pm, client)" in html


def test_admin_sets_anothers_address_and_the_webhook_page(notify_app, client, world, actions, robot):
    actions.login("admin")
    token = actions.csrf("/admin/users")
    r = client.post("/admin/users/client", data={"csrf_token": token, "action": "update", "role": "client",
                                                 "active": "1", "email": "fang@example.cn"})
    assert r.status_code == 302
    assert client.get("/api/me", headers=world.h("client")).json["email"] == "fang@example.cn"
    r = client.post("/projects/P1/webhook", data={"csrf_token": token, "kind": "dingtalk",
                                                  "url": robot.url("/robot/send?access_token=TOKEN12345678")})
    assert r.status_code == 302
    html = client.get("/projects/P1/webhook").get_data(as_text=True)
    assert "钉钉" in html and "TOKEN1234" not in html and "5678" in html
    actions.login("pm")
    assert client.get("/projects/P1/webhook").status_code == 403


def test_cli_user_create_with_email(app):
    env = dict(os.environ, HANDOVER_DATA=app.config["HANDOVER_DATA"], DATABASE_URL=app.config["DATABASE_URL"])
    out = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "user", "create", "wang", "--role", "client",
                          "--email", "wang@example.cn"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    bad = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "user", "create", "li", "--role", "client",
                          "--email", "li-at-example"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "e-mail" in bad.stderr
    from core.models import User
    with app.app_context():
        assert db.session().scalar(select(User.email).where(User.username == "wang")) == "wang@example.cn"
        assert db.session().scalar(select(User.id).where(User.username == "li")) is None


# --- the worker as a real process: an SMTP outage ---------------------------------------------

REDIS_URL = "redis://127.0.0.1:6379/13"


def _redis_answers() -> bool:
    import socket
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(params=["sqlite"] + (["redis"] if _redis_answers() else []))
def queue_of(request, notify_app):
    """The job queue in the data folder (embedded) or in Redis (db 13, emptied)."""
    if request.param == "redis":
        import redis
        import jobs
        redis.Redis.from_url(REDIS_URL).flushdb()
        notify_app.config["HANDOVER_REDIS_URL"] = REDIS_URL
        jobs.init_app_queue(notify_app)
    return request.param


def _start_worker(app, log_path):
    env = dict(os.environ, HANDOVER_DATA=app.config["HANDOVER_DATA"], DATABASE_URL=app.config["DATABASE_URL"],
               HANDOVER_REDIS_URL=app.config.get("HANDOVER_REDIS_URL") or "", HANDOVER_SMTP_URL=app.config["HANDOVER_SMTP_URL"],
               HANDOVER_MAIL_FROM=app.config["HANDOVER_MAIL_FROM"], HANDOVER_BASE_URL=BASE,
               HANDOVER_WEBHOOK_HOSTS="127.0.0.1", PYTHONUNBUFFERED="1")
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker", "--threads", "2"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    wait_for_line(log_path, "worker: queue", proc)
    return proc


def _kick(app):
    from notifications.outbox import SEND_JOB
    with app.app_context():
        app.extensions["huey_tasks"][SEND_JOB]()


def test_smtp_outage_then_each_notice_exactly_once(notify_app, queue_of, client, world, actions, smtp, tmp_path):
    from notifications.models import OutboxMessage
    for who in ("pm", "engineer"):
        set_email(client, world, who)
    smtp.stop()  # the mail server is down while the events happen
    faults = [actions.report_fault(who="client", title=f"故障{i}", expect=201).json for i in range(3)]
    workers = [_start_worker(notify_app, tmp_path / f"worker{i}.log") for i in range(2)]
    try:
        _kick(notify_app)
        tried = wait_for(lambda: all(r.attempts >= 1 for r in outbox(notify_app)) and outbox(notify_app))
        assert tried and all(r.status == "pending" and r.last_error for r in tried), \
            (tmp_path / "worker0.log").read_text()
        assert smtp.messages == []
        smtp.start()  # the server is back
        with notify_app.app_context():  # ... and the back-off has passed
            db.session().execute(update(OutboxMessage).values(next_try_at=OutboxMessage.created_at))
            db.session().commit()
        for _ in range(3):  # both workers are asked to send, more than once
            _kick(notify_app)
        assert wait_for(lambda: all(r.status == "sent" for r in outbox(notify_app))), \
            (tmp_path / "worker0.log").read_text()
        queue = notify_app.extensions["huey"]
        wait_for(lambda: queue.storage.queue_size() == 0)
    finally:
        codes = [stop(w) for w in workers]
    assert codes == [0, 0]
    # The workers' own SLA tick (real time, days after the test clock) also escalated the
    # faults and told the pm: every outbox row is one message, none twice.
    rows = outbox(notify_app)
    sent_rows = sorted(int(m["message_id"].split(".outbox")[1].split("@")[0]) for m in smtp.messages)
    assert sent_rows == sorted(r.id for r in rows)
    for f in faults:
        for who in ("pm", "engineer"):
            assert len([m for m in smtp.messages if m["to"] == [f"{who}@example.cn"] and "新故障" in m["subject"]
                        and f"/faults/{f['id']}" in m["body"]]) == 1



@pytest.mark.parametrize("body", [
    {"email": 5}, {"email": "a\x00b@c.d"}, {"email": "x" * 300 + "@a.cn"}, {"notices": []}, {"notices": {"sign": 1}},
    {"notices": {"sign": None}}, [], "text", {"email": None, "notices": None}])
def test_odd_settings_bodies_are_400_never_500(client, world, body):
    r = client.put("/api/me/notifications", json=body, headers=world.h("pm"))
    assert r.status_code in (200, 400), (body, r.status_code)
    assert r.status_code == 400 or body == {"email": None, "notices": None}


@pytest.mark.parametrize("body", [
    {"kind": "wecom", "url": 5}, {"kind": "wecom", "url": "http://[::1"}, {"kind": "wecom", "url": "http://例子.cn/h"},
    {"kind": "wecom", "url": "http://127.0.0.1/路径"}, {"kind": "wecom", "url": "http://127.0.0.1:0x50/h"},
    {"kind": 3, "url": "http://127.0.0.1/h"}, {"url": "http://127.0.0.1/h"}, {"kind": "wecom", "url": "h" * 2000}])
def test_odd_webhook_bodies_are_400_never_500(app, client, world, body):
    app.config["HANDOVER_WEBHOOK_HOSTS"] = "127.0.0.1"
    r = client.put("/api/projects/P1/webhook", json=body, headers=world.h("admin"))
    assert r.status_code == 400, (body, r.status_code, r.json)
