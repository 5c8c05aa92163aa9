"""projects.permissions: the table of who may do what, on light objects (no database, no HTTP),
the operations enforcing it, and the pages offering exactly what it allows."""
from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace as NS

import pytest

from core.errors import Conflict, Forbidden
from core.roles import ROLES
from projects import permissions
from web_support import login

ROOT = Path(__file__).resolve().parent.parent
P1, P2 = 1, 2


def person(uid, role, *projects):
    return NS(id=uid, role=role, projects=set(projects))


# Members of P1 unless the name says otherwise; "outsider" roles belong to P2 only.
ADMIN = person(1, "admin")
PM, ENGINEER, CLIENT = person(2, "pm", P1), person(3, "engineer", P1), person(4, "client", P1)
PM_B = person(5, "pm", P1)  # a second pm of P1
OUT = {r: person(10 + i, r, P2) for i, r in enumerate(("pm", "engineer", "client"))}
MEMBER = {"admin": ADMIN, "pm": PM, "engineer": ENGINEER, "client": CLIENT}


@pytest.fixture(autouse=True)
def membership(monkeypatch):
    """Membership of the light users from their `projects` (projects.access.is_member reads the
    database, which the page tests below use with real users)."""
    real = permissions.is_member
    monkeypatch.setattr(permissions, "is_member", lambda user, pid: (
        user.role == "admin" or pid in user.projects) if isinstance(user, NS) else real(user, pid))


def check(decision, code):
    """`code` None: allowed; else refused with that code."""
    assert bool(decision) is (code is None) and (decision.code or None) == code, (decision, code)


# --- projects and users ------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_manage_users_is_admin_only(role):
    check(permissions.may_manage_users(MEMBER[role]), None if role == "admin" else "admin_only")


def test_command_line_may_manage_everything():
    project = NS(id=P1)
    for decision in (permissions.may_manage_users(None), permissions.may_create_project(None),
                     permissions.may_manage_project(None, project), permissions.may_manage_members(None, project)):
        check(decision, None)


@pytest.mark.parametrize("role", ROLES)
def test_create_project(role):
    check(permissions.may_create_project(MEMBER[role]), None if role in ("admin", "pm") else "role_may_not")


@pytest.mark.parametrize("action", ["may_manage_project", "may_manage_members"])
@pytest.mark.parametrize("who,expected", [(ADMIN, None), (PM, None), (OUT["pm"], "members_only"),
                                          (ENGINEER, "role_may_not"), (CLIENT, "role_may_not")])
def test_manage_project_and_members(action, who, expected):
    d = getattr(permissions, action)(who, NS(id=P1))
    check(d, expected)
    assert d.error is Forbidden


# --- deliverables ------------------------------------------------------------------------

@pytest.mark.parametrize("action", ["may_upload", "may_generate_draft"])
@pytest.mark.parametrize("who,expected", [(ADMIN, None), (PM, None), (ENGINEER, None), (CLIENT, "role_may_not"),
                                          (OUT["engineer"], "members_only"), (OUT["pm"], "members_only"),
                                          (OUT["client"], "role_may_not")])
def test_upload_and_draft(action, who, expected):
    check(getattr(permissions, action)(who, NS(project_id=P1)), expected)


def so(user, decision="approve"):
    return NS(user_id=user.id, role=user.role, decision=decision)


CHAIN4 = ('[{"key": "check", "name_zh": "校对", "role": "engineer"}, {"key": "review", "name_zh": "审核", '
          '"role": "pm"}, {"key": "confirm", "name_zh": "确认", "role": "client"}]')


def version(*, uploader=ENGINEER, signoffs=(), latest=True, status=None, step=None, named="", chain=""):
    """The latest version (unless latest=False) of a P1 deliverable waiting at `step` (a role;
    default: pm with no sign-off, client after a pm approval, none once rejected or signed off);
    status derived as signoff_state does."""
    signoffs = list(signoffs)
    if status is None:
        approved = {s.role for s in signoffs if s.decision == "approve"}
        status = ("rejected" if any(s.decision == "reject" for s in signoffs) else
                  "signed_off" if approved >= {"pm", "client"} else "in_review" if approved else "draft")
    if step is None and status in ("draft", "in_review"):
        step = "client" if any(s.role == "pm" and s.decision == "approve" for s in signoffs) else "pm"
    d = NS(project_id=P1, latest_version_id=7 if latest else 8, status=status)
    return NS(id=7, deliverable=d, uploaded_by_id=uploader.id, signoffs=signoffs, step_role=step,
              step_users=named, chain=chain)


SIGN_CASES = [
    # (who, version, decision, code, error)
    (PM, version(), "approve", None, None),
    (PM, version(), "reject", None, None),
    (CLIENT, version(signoffs=[so(PM)]), "approve", None, None),
    (CLIENT, version(signoffs=[so(PM)]), "reject", None, None),
    (ADMIN, version(), "approve", "role_cannot_sign", Forbidden),
    (ENGINEER, version(), "approve", "role_cannot_sign", Forbidden),   # no engineer step in the chain
    (ENGINEER, version(), "reject", "role_cannot_sign", Forbidden),
    (ENGINEER, version(chain=CHAIN4, step="engineer", uploader=PM), "approve", None, None),
    (PM, version(chain=CHAIN4, step="engineer"), "approve", "not_your_step", Conflict),
    (OUT["pm"], version(), "approve", "not_a_member", Forbidden),
    (OUT["client"], version(), "approve", "not_a_member", Forbidden),
    (PM, version(latest=False), "approve", "not_latest", Conflict),
    (CLIENT, version(latest=False), "reject", "not_latest", Conflict),
    # order: the client acts at her step only
    (CLIENT, version(), "approve", "not_your_step", Conflict),
    (CLIENT, version(), "reject", "not_your_step", Conflict),
    (PM, version(signoffs=[so(PM)]), "approve", "not_your_step", Conflict),
    # named members: only they
    (PM, version(named=f",{PM_B.id},"), "approve", "not_your_step", Conflict),
    (PM_B, version(named=f",{PM_B.id},"), "approve", None, None),
    # own upload: may not approve, may reject
    (PM, version(uploader=PM), "approve", "own_upload", Forbidden),
    (PM, version(uploader=PM), "reject", None, None),
    (PM, version(uploader=PM, latest=False), "approve", "not_latest", Conflict),
    # already acted on it (quorum "all" keeps the step at pm): nobody acts twice
    (PM, version(signoffs=[so(PM)], step="pm"), "approve", "not_your_step", Conflict),
    (PM, version(signoffs=[so(PM)], step="pm"), "reject", "not_your_step", Conflict),
    (PM_B, version(signoffs=[so(PM)], step="pm"), "approve", None, None),
    # the version's state
    (CLIENT, version(signoffs=[so(PM, "reject")]), "approve", "version_rejected", Conflict),
    (PM_B, version(signoffs=[so(PM), so(CLIENT)]), "approve", "version_signed_off", Conflict),
]


@pytest.mark.parametrize("who,v,decision,code,error", SIGN_CASES)
def test_sign(who, v, decision, code, error):
    d = permissions.may_sign(who, v, decision)
    check(d, code)
    if code:
        assert d.error is error and d.message


# --- maintenance -------------------------------------------------------------------------

FAULT_ROLES = {"respond": {"admin", "pm", "engineer"}, "restore": {"admin", "pm", "engineer"},
               "close": {"admin", "pm", "client"}, "hold_level": {"pm", "client"},
               "note": {"admin", "pm", "engineer", "client"}}
FAULT_ORDER = {  # state -> kind -> code (None: allowed), for a role that may
    "open": {"respond": None, "restore": "not_responded", "close": "not_restored", "hold_level": None, "note": None},
    "responded": {"respond": "already_responded", "restore": None, "close": "not_restored", "hold_level": None,
                  "note": None},
    "restored": {"respond": "already_responded", "restore": "already_restored", "close": None,
                 "hold_level": "already_restored", "note": None},
    "closed": {k: "fault_closed" for k in FAULT_ROLES},
}


def fault(state, events=()):
    t = "2026-11-25T02:00:00Z"
    return NS(project_id=P1, status={"responded": "open"}.get(state, state), events=list(events),
              responded_at=None if state == "open" else t, restored_at=t if state in ("restored", "closed") else None)


@pytest.mark.parametrize("state", FAULT_ORDER)
@pytest.mark.parametrize("kind", FAULT_ROLES)
@pytest.mark.parametrize("role", ROLES)
def test_fault_events(role, kind, state):
    """The role first (403), then the order of events (409)."""
    d = permissions.may_act_on_fault(MEMBER[role], fault(state), kind)
    expected = FAULT_ORDER[state][kind] if role in FAULT_ROLES[kind] else "role_may_not"
    check(d, expected)
    if expected:
        assert d.error is (Forbidden if expected == "role_may_not" else Conflict)


def test_client_may_not_close_an_unrestored_fault():
    for state in ("open", "responded"):
        assert "close" not in permissions.fault_actions(CLIENT, fault(state))
    assert permissions.fault_actions(CLIENT, fault("restored")) == ["close", "note"]
    assert permissions.fault_actions(ENGINEER, fault("open")) == ["respond", "note"]
    assert permissions.fault_actions(PM, fault("closed")) == []


def test_hold_is_agreed_once_per_side():
    f = fault("open", [NS(kind="hold_level", role="pm")])
    check(permissions.may_act_on_fault(PM, f, "hold_level"), "already_held")
    check(permissions.may_act_on_fault(PM_B, f, "hold_level"), "already_held")  # the pm side, not the person
    check(permissions.may_act_on_fault(CLIENT, f, "hold_level"), None)


@pytest.mark.parametrize("role", ["pm", "engineer", "client"])
def test_outsiders_act_on_nothing(role):
    who, project = OUT[role], NS(id=P1)
    check(permissions.may_report_fault(who, project), "members_only")
    for kind in FAULT_ROLES:
        if role in FAULT_ROLES[kind]:
            check(permissions.may_act_on_fault(who, fault("open"), kind), "members_only")
    if role != "client":
        check(permissions.may_create_record(who, project), "members_only")


@pytest.mark.parametrize("role", ROLES)
def test_report_fault_and_create_record(role):
    project = NS(id=P1)
    check(permissions.may_report_fault(MEMBER[role], project), None)
    check(permissions.may_create_record(MEMBER[role], project), None if role != "client" else "role_may_not")


# --- the README table --------------------------------------------------------------------

def _base_object(action, role="pm"):
    """An object on which `action` is possible; for sign, a version waiting at `role`'s step
    of a chain in which every signing role has a step."""
    step = role if role in ("pm", "engineer", "client") else "pm"
    return {"upload": NS(project_id=P1), "generate_draft": NS(project_id=P1),
            "sign": version(uploader=PM_B, chain=CHAIN4, step=step),
            "respond": fault("open"), "restore": fault("responded"), "close": fault("restored"),
            "hold_level": fault("open"), "note": fault("open"),
            "manage_tokens": MEMBER[role]}.get(action, NS(id=P1))  # one's own tokens


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", [a.key for a in permissions.ACTIONS])
def test_table_agrees_with_the_functions(action, role):
    """Each cell: "—" is refused for the role, "yes"/"member" allowed for a member (in a state
    where the action is possible); "member" is refused for a non-member of the same role."""
    a = next(a for a in permissions.ACTIONS if a.key == action)
    cell = permissions.cell(a, role)
    d = permissions.may(MEMBER[role], action, _base_object(action, role))
    assert bool(d) is (cell != "—"), (action, role, cell, d)
    if cell == "member":
        assert not permissions.may(OUT[role], action, _base_object(action, role))


def test_readme_has_the_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert permissions.table_markdown() in readme, "README.md's 'Who may do what' is out of date:\n" + \
        permissions.table_markdown()


# --- the operations enforce it -----------------------------------------------------------

def test_user_operations_are_admin_only(app, world):
    from core import users
    with app.app_context():
        from core import db
        pm, engineer = users.get_user("pm"), users.get_user("engineer")
        admin = users.get_user("admin")
        for call in (lambda: users.create_user("someone", "client", actor=pm),
                     lambda: users.set_password(engineer, "a new password 1", actor=pm),
                     lambda: users.reset_token(engineer, actor=engineer),
                     lambda: users.update_user(engineer, pm, role="admin")):
            with pytest.raises(Forbidden) as exc:
                call()
            assert exc.value.code == "admin_only"
        assert users.update_user(engineer, admin, display_name="E").display_name == "E"
        db.session().rollback()


# --- the pages offer exactly what the module allows -------------------------------------

def _doc(app, world):
    with app.app_context():
        from sqlalchemy import select
        from core import db
        from deliverables.models import Deliverable
        return db.session().scalar(select(Deliverable.id).where(Deliverable.project_id == world.ids["P1"])
                                   .order_by(Deliverable.position))


def _decisions(html):
    form = re.search(r'<form[^>]*id="sign-form".*?</form>', html, re.S)
    return set(re.findall(r'name="decision" value="(\w+)"', form.group(0))) if form else set()


def _page(client, who, path):
    login(client, who)
    r = client.get(path)
    assert r.status_code == 200, r.status_code
    return r.get_data(as_text=True)


def test_uploader_is_not_offered_to_approve_his_own_version(app, client, world, upload):
    d_id = _doc(app, world)
    v = upload(d_id, b"pm's own text", "own.txt", who="pm")
    assert _decisions(_page(client, "pm", f"/deliverables/{d_id}")) == {"reject"}
    assert _decisions(_page(client, "client", f"/deliverables/{d_id}")) == set()  # not at her step yet
    # what the page does not offer, the operation refuses
    r = client.post(f"/api/versions/{v['id']}/signoffs", json={"decision": "approve"}, headers=world.h("pm"))
    assert r.status_code == 403 and r.json["error"]["code"] == "own_upload"


def test_sign_form_follows_the_module(app, client, world, upload):
    d_id = _doc(app, world)
    v = upload(d_id, b"engineer's text", "e.txt")
    pages = {who: _page(client, who, f"/deliverables/{d_id}") for who in ("admin", "pm", "engineer", "client")}
    assert _decisions(pages["engineer"]) == set() and 'id="sign-form"' not in pages["engineer"]
    assert _decisions(pages["admin"]) == set()
    assert _decisions(pages["pm"]) == {"approve", "reject"}
    # the client: no upload form, no draft buttons; the engineer has both
    assert 'id="upload-form"' not in pages["client"] and 'name="format"' not in pages["client"]
    assert 'id="upload-form"' in pages["engineer"] and 'name="format"' in pages["engineer"]
    # once the pm has approved, he is offered nothing more; the client still is
    assert client.post(f"/api/versions/{v['id']}/signoffs", json={"decision": "approve"},
                       headers=world.h("pm")).status_code == 201
    assert _decisions(_page(client, "pm", f"/deliverables/{d_id}")) == set()
    assert _decisions(_page(client, "client", f"/deliverables/{d_id}")) == {"approve", "reject"}


def _offered(html):
    select_ = re.search(r'<select name="kind">(.*?)</select>', html, re.S)
    return set(re.findall(r'<option value="(\w+)"', select_.group(1))) if select_ else set()


def test_fault_page_offers_exactly_the_allowed_events(app, client, world):
    fid = client.post("/api/projects/P1/faults", json={"level": 3, "title": "门禁无法开门", "channel": "phone"},
                      headers=world.h("client")).json["id"]
    steps = [None, "respond", "restore", "close"]
    for step in steps:
        if step:
            assert client.post(f"/api/faults/{fid}/events", json={"kind": step},
                               headers=world.h("pm")).status_code == 201
        for who in ("admin", "pm", "engineer", "client"):
            offered = _offered(_page(client, who, f"/faults/{fid}"))
            with app.app_context():
                from core.users import get_user
                from maintenance.faults import get_fault
                user = get_user(who)
                expected = set(permissions.fault_actions(user, get_fault(user, fid)))
            assert offered == expected, (step, who, offered, expected)
            if who == "client" and step in (None, "respond"):
                assert "close" not in offered  # a client is not offered 关闭 on an unrestored fault
            if who == "client" and step == "restore":
                assert "close" in offered


def test_members_and_admin_links_follow_the_module(app, client, world):
    for who, members, admin in (("admin", True, True), ("pm", True, False), ("engineer", False, False),
                                ("client", False, False)):
        html = _page(client, who, "/projects/P1")
        assert ('href="/projects/P1/members"' in html) is members, who
        assert ('href="/admin/users"' in html) is admin, who
    assert client.patch("/api/projects/P1", json={"maintenance_start": "2026-11-01"},
                        headers=world.h("admin")).status_code == 200
    assert 'name="record_key"' in _page(client, "engineer", "/projects/P1/maintenance")
    assert 'name="record_key"' not in _page(client, "client", "/projects/P1/maintenance")
