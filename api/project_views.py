"""Projects, membership, deliverable registers and completeness."""
from __future__ import annotations

from flask import jsonify, request
from api import inputs
from api.blueprint import bp
from api.shapes import deliverable_json, project_json, user_json
from catalog import get_catalog
from core import db
from projects import access, permissions
from core.auth import api_user
from core.errors import UserValueError
from core.users import get_user
from deliverables.projects import create_project as open_project
from projects import membership as ops
from deliverables.models import STATUSES
from deliverables.registers import register_rows
from maintenance.records import materialize
from phases.completeness import completeness, fetch_rows, portfolio, waiting_per_phase


def _dates(body: dict) -> dict:
    out = {}
    for name in ("start_date", "warranty_until", "maintenance_start"):
        if name in body:
            out[name] = inputs.parse_date(body[name], name)
    return out


@bp.post("/projects")
def create_project():
    body = inputs.json_body()
    project = open_project(
        api_user(), inputs.text(body, "code", max_len=64), inputs.text(body, "name"),
        inputs.text(body, "client"), vendor=inputs.text(body, "vendor", required=False),
        description=inputs.text(body, "description", required=False, max_len=5000, multiline=True), **_dates(body))
    materialize(project)  # the record instances up to today, at once (the tick keeps them coming)
    return jsonify(project_json(project)), 201


@bp.get("/projects")
def list_projects():
    user = api_user()
    projects = list(db.session().scalars(access.visible_projects(user)))
    return jsonify([project_json(p) for p in projects])


@bp.get("/projects/<code>")
def get_project(code):
    user = api_user()
    project = access.get_project(user, code)
    out = project_json(project)
    out["members"] = [user_json(u) for u in ops.members(project)]
    out["completeness"] = completeness(fetch_rows([project.id]))
    return jsonify(out)


@bp.patch("/projects/<code>")
def update_project(code):
    user = api_user()
    project = access.get_project(user, code)
    body = inputs.json_body()
    changes = _dates(body)
    for name, max_len in (("name", 200), ("client", 200), ("vendor", 200), ("description", 5000)):
        if name in body:
            changes[name] = inputs.text(body, name, max_len=max_len, required=name in ("name", "client"),
                                        multiline=name == "description")
    unknown = set(body) - set(ops.UPDATABLE)
    if unknown:
        raise UserValueError(f"Unknown or read-only fields: {', '.join(sorted(unknown))}.", "unknown_field")
    ops.update_project(user, project, changes)
    if "maintenance_start" in changes:
        materialize(project)  # a new start date shows its record instances at once, not at the next tick
    return jsonify(project_json(project))


@bp.get("/projects/<code>/members")
def list_members(code):
    project = access.get_project(api_user(), code)
    return jsonify([user_json(u) for u in ops.members(project)])


@bp.post("/projects/<code>/members")
def add_member(code):
    user = api_user()
    project = access.get_project(user, code)
    permissions.require(permissions.may_manage_members(user, project))
    body = inputs.json_body()
    ops.add_member(user, project, get_user(inputs.text(body, "username", max_len=64)))
    return jsonify([user_json(u) for u in ops.members(project)]), 201


@bp.delete("/projects/<code>/members/<username>")
def remove_member(code, username):
    user = api_user()
    project = access.get_project(user, code)
    permissions.require(permissions.may_manage_members(user, project))
    ops.remove_member(user, project, get_user(username))
    return "", 204


@bp.get("/projects/<code>/deliverables")
def list_deliverables(code):
    user = api_user()
    project = access.get_project(user, code)
    cat = get_catalog()
    phase = inputs.query_choice("phase", tuple(p.key for p in cat.phases))
    status = inputs.query_choice("status", STATUSES)
    kind = inputs.query_choice("kind", ("document", "record")) or "document"
    step = inputs.text(request.args, "step", required=False, max_len=32) or None
    rows = register_rows(user, project, phase, status, kind, step=step)
    return jsonify([deliverable_json(r.deliverable, r.latest, project.code, r.waiting) for r in rows])


@bp.get("/projects/<code>/completeness")
def project_completeness(code):
    user = api_user()
    project = access.get_project(user, code)
    out = completeness(fetch_rows([project.id]))
    waiting = waiting_per_phase(user, project.id)
    for phase in out["phases"]:
        phase["waiting"] = waiting.get(phase["key"], [])
    return jsonify(out)


@bp.get("/completeness")
def portfolio_completeness():
    """Completeness of every project the caller sees: two SQL queries whatever their number."""
    user = api_user()
    projects = list(db.session().scalars(access.visible_projects(user)))
    per_project = portfolio(fetch_rows(project_filter=access.project_filter(user)))
    empty = completeness([])
    return jsonify({"projects": [{"code": p.code, "name": p.name, "client": p.client,
                                  **per_project.get(p.id, empty)} for p in projects]})
