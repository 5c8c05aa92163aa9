"""Access matrix: every route of app.url_map × every kind of user, on both databases.

MATRIX below has one row per route and method: its scope and, for `user`/`project` rows,
what an admin, pm, engineer and client get. Everyone else is derived:
- `project` rows are requested for objects of P1 and of P2 (project code, deliverable,
  version, fault). A user who is not a member of the object's project (and not an admin)
  must get 404 whatever the route: no cross-project read or write. A member gets the
  role's column.
- `user` rows concern no project; each user gets the column of the role (outsider is an
  engineer of no project, pm2/client2 a pm/client of P2 only).
- anonymous gets 401 on /api and is sent to the login page on pages; `public` rows: anyone.
Outcomes: `ok` = the request passed the access checks (2xx, 3xx, or a 400/409 about the
input or the state), `403` = refused for the role (status 403, or on a form page a flashed
role refusal), `404` = not visible. A route of url_map without a row fails the test, so
a new route cannot forget its access rules.
"""
from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import message_flashed

from conftest import PASSWORD
from core.errors import Forbidden
from web.i18n import error_text
from web_support import csrf_of, login
from world_objects import make_objects

# method route                                        scope    admin pm   engineer client
MATRIX_TEXT = """
GET    /api/catalog                                     user     ok    ok   ok   ok
GET    /api/completeness                                user     ok    ok   ok   ok
GET    /api/me                                          user     ok    ok   ok   ok
GET    /api/openapi.json                                public
GET    /api/projects                                    user     ok    ok   ok   ok
POST   /api/projects                                    user     ok    ok   403  403
GET    /api/search                                      project  ok    ok   ok   ok
GET    /api/sla/rules                                   user     ok    ok   ok   ok
GET    /api/portfolio                                   user     ok    ok   ok   ok
GET    /api/users                                       user     ok    403  403  403
POST   /api/users                                       user     ok    403  403  403
POST   /api/users/<username>/token                      user     ok    403  403  403
GET    /api/me/notifications                            user     ok    ok   ok   ok
GET    /api/me/tasks                                    user     ok    ok   ok   ok
GET    /api/projects/<code>/imports                     project  ok    ok   403  403
POST   /api/projects/<code>/imports                     project  ok    ok   403  403
GET    /api/projects/<code>/workflow                    project  ok    ok   ok   ok
PUT    /api/projects/<code>/workflow                    project  ok    ok   403  403
GET    /api/projects/<code>/check-items                 project  ok    ok   ok   ok
PUT    /api/projects/<code>/check-items                 project  ok    ok   403  403
PUT    /api/me/notifications                            user     ok    ok   ok   ok
GET    /api/projects/<code>/webhook                     project  ok    403  403  403
PUT    /api/projects/<code>/webhook                     project  ok    403  403  403
GET    /api/projects/<code>                             project  ok    ok   ok   ok
PATCH  /api/projects/<code>                             project  ok    ok   403  403
GET    /api/projects/<code>/bundle                      project  ok    ok   ok   ok
GET    /api/projects/<code>/completeness                project  ok    ok   ok   ok
GET    /api/projects/<code>/deliverables                project  ok    ok   ok   ok
GET    /api/projects/<code>/faults                      project  ok    ok   ok   ok
POST   /api/projects/<code>/faults                      project  ok    ok   ok   ok
GET    /api/projects/<code>/members                     project  ok    ok   ok   ok
POST   /api/projects/<code>/members                     project  ok    ok   403  403
DELETE /api/projects/<code>/members/<username>          project  ok    ok   403  403
GET    /api/projects/<code>/records                     project  ok    ok   ok   ok
POST   /api/projects/<code>/records                     project  ok    ok   ok   403
GET    /api/projects/<code>/sla                         project  ok    ok   ok   ok
GET    /api/projects/<code>/progress                    project  ok    ok   ok   ok
GET    /api/deliverables/<int:deliverable_id>           project  ok    ok   ok   ok
POST   /api/deliverables/<int:deliverable_id>/draft     project  ok    ok   ok   403
GET    /api/deliverables/<int:deliverable_id>/versions  project  ok    ok   ok   ok
POST   /api/deliverables/<int:deliverable_id>/versions  project  ok    ok   ok   403
POST   /api/projects/<code>/versions                    project  ok    ok   ok   403
GET    /api/versions/<int:version_id>                   project  ok    ok   ok   ok
GET    /api/versions/<int:version_id>/file              project  ok    ok   ok   ok
GET    /api/versions/<int:version_id>/preview           project  ok    ok   ok   ok
GET    /api/versions/<int:version_id>/controlled-copy   project  ok    ok   ok   ok
GET    /api/versions/<int:version_id>/diff              project  ok    ok   ok   ok
POST   /api/versions/<int:version_id>/signoffs          project  403   ok   403  ok
POST   /api/versions/<int:version_id>/strip-hints       project  ok    ok   ok   403
GET    /api/faults/<int:fault_id>                       project  ok    ok   ok   ok
POST   /api/faults/<int:fault_id>/events                project  ok    ok   ok   403
GET    /api/faults/<int:fault_id>/report.docx           project  ok    ok   ok   ok
GET    /static/<path:filename>                          public
GET    /healthz                                         public
GET    /login                                           public
POST   /login                                           public
GET    /lang/<code>                                     public
POST   /logout                                          user     ok    ok   ok   ok
GET    /                                                user     ok    ok   ok   ok
GET    /search                                          project  ok    ok   ok   ok
GET    /portal                                          user     ok    ok   ok   ok
GET    /admin/users                                     user     ok    403  403  403
POST   /admin/users                                     user     ok    403  403  403
POST   /admin/users/<username>                          user     ok    403  403  403
GET    /settings                                        user     ok    ok   ok   ok
POST   /settings                                        user     ok    ok   ok   ok
GET    /projects/<code>/webhook                         project  ok    403  403  403
POST   /projects/<code>/webhook                         project  ok    403  403  403
GET    /projects/<code>                                 project  ok    ok   ok   ok
GET    /projects/<code>/register.<fmt>                  project  ok    ok   ok   ok
GET    /register                                        user     ok    ok   ok   ok
GET    /register.<fmt>                                  user     ok    ok   ok   ok
GET    /projects/<code>/maintenance                     project  ok    ok   ok   ok
GET    /projects/<code>/sla                             project  ok    ok   ok   ok
GET    /projects/<code>/sla.<fmt>                       project  ok    ok   ok   ok
POST   /projects/<code>/faults                          project  ok    ok   ok   ok
POST   /projects/<code>/records                         project  ok    ok   ok   403
GET    /projects/<code>/members                         project  ok    ok   403  403
POST   /projects/<code>/members                         project  ok    ok   403  403
GET    /projects/<code>/import                          project  ok    ok   403  403
POST   /projects/<code>/import                          project  ok    ok   403  403
GET    /projects/<code>/workflow                        project  ok    ok   403  403
POST   /projects/<code>/workflow                        project  ok    ok   403  403
GET    /projects/new                                    user     ok    ok   403  403
POST   /projects/new                                    user     ok    ok   403  403
GET    /projects/<code>/edit                            project  ok    ok   403  403
POST   /projects/<code>/edit                            project  ok    ok   403  403
GET    /tokens                                          user     ok    ok   ok   ok
POST   /tokens                                          user     ok    ok   ok   ok
GET    /admin/users/<username>/tokens                   user     ok    403  403  403
POST   /admin/users/<username>/tokens                   user     ok    403  403  403
GET    /portal/<code>                                   project  ok    ok   ok   ok
GET    /portal/<code>/bundle.zip                        project  ok    ok   ok   ok
GET    /deliverables/<int:deliverable_id>               project  ok    ok   ok   ok
POST   /deliverables/<int:deliverable_id>/upload        project  ok    ok   ok   403
POST   /deliverables/<int:deliverable_id>/draft         project  ok    ok   ok   403
GET    /versions/<int:version_id>/download              project  ok    ok   ok   ok
GET    /versions/<int:version_id>/preview               project  ok    ok   ok   ok
GET    /versions/<int:version_id>/preview.pdf           project  ok    ok   ok   ok
GET    /versions/<int:version_id>/controlled-copy       project  ok    ok   ok   ok
GET    /versions/<int:version_id>/diff                  project  ok    ok   ok   ok
POST   /versions/<int:version_id>/sign                  project  403   ok   403  ok
POST   /versions/<int:version_id>/strip-hints           project  ok    ok   ok   403
GET    /faults/<int:fault_id>                           project  ok    ok   ok   ok
POST   /faults/<int:fault_id>/events                    project  ok    ok   ok   403
GET    /faults/<int:fault_id>/report.docx               project  ok    ok   ok   ok
"""

MEMBER_ROLES = ("admin", "pm", "engineer", "client")
# The users of the `world` fixture (+ anonymous): who they are and which projects they are in.
USERS = {"admin": ("admin", {"P1", "P2"}), "pm": ("pm", {"P1"}), "engineer": ("engineer", {"P1"}),
         "client": ("client", {"P1"}), "pm2": ("pm", {"P2"}), "client2": ("client", {"P2"}),
         "outsider": ("engineer", set()), "anonymous": (None, set())}
# Role refusals (Forbidden codes) that a form page flashes instead of answering 403 (web/form_errors.py).
REFUSAL_CODES = ("forbidden", "role_may_not", "role_cannot_sign", "not_a_member", "admin_only")
# Destructive or session-ending requests go last, so they cannot hide what comes before.
LAST = {"DELETE /api/projects/<code>/members/<username>": 1, "POST /logout": 2}


@dataclass(frozen=True)
class Row:
    method: str
    rule: str
    scope: str
    expected: dict[str, str]

    @property
    def key(self) -> str:
        return f"{self.method} {self.rule}"

    @property
    def is_api(self) -> bool:
        return self.rule.startswith("/api/")

    @property
    def writes(self) -> bool:
        return self.method not in ("GET", "HEAD")


def parse_matrix(text: str) -> dict[str, Row]:
    rows = {}
    for line in text.strip().splitlines():
        method, rule, scope, *cols = line.split()
        assert scope in ("public", "user", "project"), line
        assert len(cols) == (0 if scope == "public" else 4), line
        row = Row(method, rule, scope, dict(zip(MEMBER_ROLES, cols)))
        assert row.key not in rows, f"duplicate row {row.key}"
        rows[row.key] = row
    return rows


MATRIX = parse_matrix(MATRIX_TEXT)


def route_keys(app) -> set[str]:
    return {f"{m} {r.rule}" for r in app.url_map.iter_rules() for m in r.methods - {"HEAD", "OPTIONS"}}


def expected(row: Row, who: str, project: str | None) -> str:
    role, projects = USERS[who]
    if row.scope == "public":
        return "ok"
    if role is None:
        return "401" if row.is_api else "login"
    if row.scope == "project" and role != "admin" and project not in projects:
        return "404"
    return row.expected[role]


@pytest.fixture
def objects(app, client, world):
    return make_objects(app, client, world)


_counter = itertools.count(1)


def build_request(row: Row, target: dict | None) -> tuple[str, dict]:
    """The URL and the test-client keywords of a request that passes validation when allowed."""
    n = next(_counter)
    t = target or {}
    signs = row.rule.endswith(("/signoffs", "/sign"))  # the version waiting for the client
    values = {"code": t.get("code"), "deliverable_id": t.get("deliverable_id"), "fault_id": t.get("fault_id"),
              "version_id": t.get("sign_version_id" if signs else "version_id"),
              "username": "spare", "fmt": "csv", "filename": "css/app.css"}
    if row.rule == "/lang/<code>":
        values["code"] = "en"
    url = row.rule
    for name, value in values.items():
        for conv in ("", "int:", "path:"):
            url = url.replace(f"<{conv}{name}>", str(value))
    assert "<" not in url, f"no value for a parameter of {row.key}"
    kw: dict = {}
    if row.rule in ("/api/search", "/search"):
        kw["query_string"] = {"q": "plan", "project": t["code"]}
    bodies = {
        "POST /api/projects": {"json": {"code": f"M{n}", "name": "矩阵", "client": "甲方"}},
        "POST /api/users": {"json": {"username": f"mu{n}", "role": "engineer"}},
        "PATCH /api/projects/<code>": {"json": {"description": "matrix"}},
        "POST /api/projects/<code>/faults": {"json": {"level": 4, "title": "matrix", "channel": "phone"}},
        "POST /api/projects/<code>/members": {"json": {"username": "spare"}},
        "POST /api/projects/<code>/records": {"json": {"record_key": "complaint_form"}},
        "POST /api/deliverables/<int:deliverable_id>/draft": {"json": {"format": "md"}},
        "POST /api/deliverables/<int:deliverable_id>/versions": {
            "data": {"file": (io.BytesIO(b"matrix\n"), "m.txt")}, "content_type": "multipart/form-data"},
        "POST /api/projects/<code>/versions": {
            "data": {"deliverable_id": str(t.get("deliverable_id")), "file": (io.BytesIO(b"matrix\n"), "m.txt")},
            "content_type": "multipart/form-data"},
        "POST /api/versions/<int:version_id>/signoffs": {"json": {"decision": "approve"}},
        "PUT /api/projects/<code>/workflow": {"json": {"steps": [{"key": "review", "name_zh": "审核", "role": "pm"},
                                                                {"key": "confirm", "name_zh": "确认", "role": "client"}]}},
        "POST /api/faults/<int:fault_id>/events": {"json": {"kind": "respond"}},
        "POST /login": {"data": {"username": "outsider", "password": PASSWORD}},
        "POST /admin/users": {"data": {"username": f"pu{n}", "role": "engineer"}},
        "POST /admin/users/<username>": {"data": {"action": "update", "role": "engineer", "active": "1"}},
        "POST /projects/<code>/faults": {"data": {"level": "4", "title": "matrix", "channel": "phone"}},
        "POST /projects/<code>/records": {"data": {"record_key": "complaint_form"}},
        "POST /projects/<code>/members": {"data": {"username": "spare", "action": "add"}},
        "POST /deliverables/<int:deliverable_id>/upload": {
            "data": {"file": (io.BytesIO(b"matrix\n"), "m.txt")}, "content_type": "multipart/form-data"},
        "POST /deliverables/<int:deliverable_id>/draft": {"data": {"format": "md"}},
        "POST /versions/<int:version_id>/sign": {"data": {"decision": "approve", "password": PASSWORD}},
        "POST /faults/<int:fault_id>/events": {"data": {"kind": "respond"}},
    }
    kw.update(bodies.get(row.key, {}))
    return url, kw


def refusal_texts(app) -> set[str]:
    """The flashed texts of role refusals, as the pages word them (web.i18n.error_text)."""
    texts = set()
    for lang in ("zh", "en"):
        with app.test_request_context(headers={"Cookie": f"lang={lang}"}):
            texts |= {error_text(Forbidden("", code)) for code in REFUSAL_CODES}
    return texts - {""}


def outcome(row: Row, resp, flashes: list, refusals: set[str]) -> str:
    status = resp.status_code
    if status in (401, 403, 404):
        return str(status)
    if status in (301, 302, 303) and not row.is_api:
        loc = urlsplit(resp.headers.get("Location", ""))
        if loc.path == "/login" and "next" in parse_qs(loc.query):
            return "login"
    if any(cat == "error" and str(msg) in refusals for msg, cat in flashes):
        return "403"
    if status < 400 or status in (400, 409, 413, 415, 422):
        return "ok"
    return f"unexpected {status}"


def test_every_route_has_a_matrix_row(app):
    routes = route_keys(app)
    missing = sorted(routes - set(MATRIX))
    assert not missing, "routes without an access-matrix row in tests/test_access_matrix.py: " + ", ".join(missing)
    stale = sorted(set(MATRIX) - routes)
    assert not stale, "matrix rows for routes that no longer exist: " + ", ".join(stale)


def _p2_state(client, world) -> dict:
    """What a write to P2 would change, read as admin."""
    h = world.h("admin")
    return {"project": client.get("/api/projects/P2", headers=h).json,
            "deliverables": client.get("/api/projects/P2/deliverables?kind=document", headers=h).json,
            "records": client.get("/api/projects/P2/deliverables?kind=record", headers=h).json,
            "faults": client.get("/api/projects/P2/faults", headers=h).json}


@pytest.mark.parametrize("who", list(USERS))
def test_access_matrix(app, world, objects, who, backend, capsys):
    api = app.test_client()
    page = app.test_client()
    role, projects = USERS[who]
    headers = world.h(who) if role else {}
    if role:
        login(page, who)
    token = csrf_of(page.get("/login" if role is None else "/").get_data(as_text=True))
    before = _p2_state(api, world)

    refusals = refusal_texts(app)
    rows = sorted(MATRIX.values(), key=lambda r: (LAST.get(r.key, 0), r.writes, r.key))
    flashes: list = []

    def record(sender, message, category, **extra):
        flashes.append((message, category))

    wrong, checked = [], 0
    with message_flashed.connected_to(record, app):
        for row in rows:
            targets = [objects["P2"], objects["P1"]] if row.scope == "project" else [None]
            for target in targets:
                url, kw = build_request(row, target)
                if row.is_api:
                    kw["headers"] = headers
                    c = api
                elif row.key == "POST /login":  # a separate browser: this one stays who it is
                    c = app.test_client()
                    kw["data"]["csrf_token"] = csrf_of(c.get("/login").get_data(as_text=True))
                else:
                    c = page
                    if row.writes:
                        kw.setdefault("data", {})["csrf_token"] = token
                flashes.clear()
                resp = c.open(url, method=row.method, **kw)
                body = resp.get_data()  # consume streamed answers (bundles) before the next request
                resp.close()
                got = outcome(row, resp, flashes, refusals)
                want = expected(row, who, target and target["code"])
                checked += 1
                if got != want:
                    wrong.append(f"{row.method} {url} as {who}: expected {want}, got {got} "
                                 f"({resp.status_code} {body[:160].decode(errors='replace')!r})")
    with capsys.disabled():  # figures for the CI log
        print(f"\n[access matrix {backend} {who}] requests={checked} wrong={len(wrong)}")
    assert not wrong, f"{len(wrong)} of {checked} requests broke the access matrix:\n" + "\n".join(wrong)
    if "P2" not in projects and role != "admin":
        assert _p2_state(api, world) == before, f"{who} changed project P2"
