"""What the product's users do, as one object: the `actions` fixture (tests/conftest.py).

Every step goes through the real surface, the Flask test client: the JSON API with the
`world` users' tokens, or the pages with a logged-in session and its CSRF token. A test
builds its state with these steps and asserts on what it is about, for example::

    v = actions.upload(actions.deliverable("test_plan")["id"], b"plan", "plan.txt")
    actions.sign_off(v["id"])                       # pm approves, then the client
    fault = actions.report_fault(level=2, expect=201).json
    actions.fault_event(fault["id"], "respond", expect=201)

Conventions: a step that posts returns the response; `expect=<status>` asserts the status
(with the body in the message). `upload` returns the new version's JSON (it asserts 201), as
the old `upload` fixture did. Reads return JSON.
"""
from __future__ import annotations

import io
import re
from datetime import date

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from core import db
from maintenance.tick import run_tick
from projects.models import Project

PASSWORD = "correct horse 1"  # every `world` user's password
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of a page's form."""
    m = TOKEN_RE.search(html)
    assert m, "no csrf_token field in the page"
    return m.group(1)


def _checked(r: TestResponse, expect: int | None) -> TestResponse:
    if expect is not None:
        assert r.status_code == expect, (r.status_code, r.get_json(silent=True) or r.get_data(as_text=True)[:500])
    return r


def worker_ticks(app: Flask) -> None:
    """Time has passed and the worker's SLA tick ran (what `flask worker` does every minute):
    overdue faults escalated and record instances created, committed. Pages and the API only
    read; a test that moves the clock and expects new rows calls this."""
    with app.app_context():
        report = run_tick()
        db.session().commit()
    assert not report.failed, report.failed


class Actions:
    """Upload, sign, draft, report a fault, record a fault event, search, log in to the pages."""

    def __init__(self, app: Flask, client: FlaskClient | None = None, world=None):
        self.app = app
        self.client = client if client is not None else app.test_client()
        self.world = world

    def _h(self, who: str) -> dict:
        return self.world.h(who)

    # -- reading -----------------------------------------------------------------------
    def deliverables(self, project: str = "P1", who: str = "pm") -> dict[str, int]:
        """document_key -> id of a project's deliverables, in project order."""
        return {d["document_key"]: d["id"] for d in self.deliverable_list(project, who)}

    def deliverable_list(self, project: str = "P1", who: str = "pm") -> list[dict]:
        r = _checked(self.client.get(f"/api/projects/{project}/deliverables", headers=self._h(who)), 200)
        return r.get_json()

    def deliverable(self, key: str | None = None, project: str = "P1", who: str = "pm") -> dict:
        """The deliverable with `key` (the project's first one without), as `who` sees it in the list."""
        return next(d for d in self.deliverable_list(project, who) if key is None or d["document_key"] == key)

    def doc_ids(self, project: str = "P1", n: int | None = None) -> list[int]:
        """Ids of a project's deliverables in project order (the first `n`)."""
        ids = [d["id"] for d in self.deliverable_list(project, "admin")]
        return ids if n is None else ids[:n]

    def status(self, deliverable_id: int, who: str = "pm") -> str:
        return _checked(self.client.get(f"/api/deliverables/{deliverable_id}", headers=self._h(who)), 200
                        ).get_json()["status"]

    def latest_version_id(self, deliverable_id: int, who: str = "pm") -> int | None:
        d = _checked(self.client.get(f"/api/deliverables/{deliverable_id}", headers=self._h(who)), 200).get_json()
        return d["latest_version"]["id"] if d["latest_version"] else None

    # -- deliverables ------------------------------------------------------------------
    def upload(self, deliverable_id: int, data: bytes | str, filename: str, who: str = "engineer",
               note: str = "") -> dict:
        """Upload a version through the API; the new version's JSON (asserts 201)."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        r = self.client.post(f"/api/deliverables/{deliverable_id}/versions", headers=self._h(who),
                             data={"file": (io.BytesIO(data), filename), "note": note},
                             content_type="multipart/form-data")
        return _checked(r, 201).get_json()

    def sign(self, version_id: int, who: str, decision: str = "approve", comment: str = "ok",
             expect: int | None = None) -> TestResponse:
        """One sign-off (approve or reject) through the API."""
        return _checked(self.client.post(f"/api/versions/{version_id}/signoffs", headers=self._h(who),
                                         json={"decision": decision, "comment": comment}), expect)

    def sign_off(self, version_id: int, pm: str = "pm", client: str = "client") -> None:
        """Both approvals (pm, then client): the version is signed off."""
        for who in (pm, client):
            self.sign(version_id, who, expect=201)

    def draft(self, deliverable_id: int, fmt: str | None = None, who: str = "engineer",
              expect: int | None = None) -> TestResponse:
        """Generate a draft version from the document's template."""
        body = {} if fmt is None else {"format": fmt}
        return _checked(self.client.post(f"/api/deliverables/{deliverable_id}/draft", json=body,
                                         headers=self._h(who)), expect)

    # -- projects ----------------------------------------------------------------------
    def patch_project(self, code: str = "P1", who: str = "pm", expect: int | None = 200, **values) -> TestResponse:
        """PATCH /api/projects/<code> (dates as date or ISO strings)."""
        body = {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}
        return _checked(self.client.patch(f"/api/projects/{code}", headers=self._h(who), json=body), expect)

    def set_project(self, code: str, **values) -> None:
        """Set a project's columns directly, below the surface (dates the API refuses, e.g. a
        warranty that ended yesterday)."""
        with self.app.app_context():
            p = db.session().scalar(select(Project).where(Project.code == code))
            for k, v in values.items():
                setattr(p, k, v)
            db.session().commit()

    # -- maintenance -------------------------------------------------------------------
    def report_fault(self, who: str = "client", project: str = "P1", expect: int | None = None,
                     **body) -> TestResponse:
        """Report a fault (level 3 by phone, "门禁系统无法开门" unless `body` says otherwise)."""
        payload = {"level": 3, "title": "门禁系统无法开门", "channel": "phone", **body}
        return _checked(self.client.post(f"/api/projects/{project}/faults", json=payload,
                                         headers=self._h(who)), expect)

    def fault_event(self, fault_id: int, kind: str, who: str = "engineer", expect: int | None = None,
                    **body) -> TestResponse:
        """Record respond / restore / hold_* / close / note on a fault (`at` may be a datetime)."""
        if hasattr(body.get("at"), "isoformat"):
            body["at"] = body["at"].isoformat()
        return _checked(self.client.post(f"/api/faults/{fault_id}/events", json={"kind": kind, **body},
                                         headers=self._h(who)), expect)

    def worker_ticks(self) -> None:
        """Time has passed and the worker ticked (see `worker_ticks`)."""
        worker_ticks(self.app)

    def records(self, query: str = "", who: str = "pm", project: str = "P1") -> list[dict]:
        """The project's maintenance record instances (asserts 200)."""
        return _checked(self.client.get(f"/api/projects/{project}/records{query}", headers=self._h(who)),
                        200).get_json()

    # -- search ------------------------------------------------------------------------
    def search(self, who: str = "pm", expect: int = 200, **params) -> dict:
        """GET /api/search with `params` as the query string."""
        r = self.client.get("/api/search", headers=self._h(who), query_string=params)
        return _checked(r, expect).get_json()

    # -- pages -------------------------------------------------------------------------
    def login(self, username: str, password: str = PASSWORD, expect: int = 302) -> str:
        """Log in through the form (a fresh session); the CSRF token of the login page."""
        self.client.delete_cookie("session")  # switch user: start from a fresh session
        token = csrf_of(self.client.get("/login").get_data(as_text=True))
        r = self.client.post("/login", data={"username": username, "password": password, "csrf_token": token})
        assert r.status_code == expect, r.get_data(as_text=True)[:500]
        return token

    def csrf(self, path: str = "/") -> str:
        """The CSRF token of the page at `path` (for the logged-in session)."""
        return csrf_of(self.client.get(path).get_data(as_text=True))

    def upload_page(self, deliverable_id: int, data: bytes, name: str, note: str = "",
                    xhr: bool = True, same_ok: bool = False) -> TestResponse:
        """Upload from the deliverable page: by script (XHR) or as a plain form post;
        `same_ok`: go ahead when an earlier version has the same bytes."""
        token = self.csrf(f"/deliverables/{deliverable_id}")
        headers = {"X-CSRFToken": token, "X-Requested-With": "XMLHttpRequest"} if xhr else {}
        form = {"file": (io.BytesIO(data), name), "note": note}
        if same_ok:
            form["same_ok"] = "1"
        if not xhr:
            form["csrf_token"] = token
        return self.client.post(f"/deliverables/{deliverable_id}/upload", data=form, headers=headers,
                                content_type="multipart/form-data")

    def sign_page(self, version_id: int, deliverable_id: int, decision: str = "approve", comment: str = "",
                  password: str = PASSWORD) -> TestResponse:
        """Sign from the deliverable page (the form asks for the password again)."""
        token = self.csrf(f"/deliverables/{deliverable_id}")
        return self.client.post(f"/versions/{version_id}/sign", data={
            "csrf_token": token, "decision": decision, "comment": comment, "password": password})
