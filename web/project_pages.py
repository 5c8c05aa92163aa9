"""Portfolio (/) and a project's register (/projects/<code>)."""
from __future__ import annotations

from flask import g, render_template, request

from catalog import get_catalog
from core import db
from projects import access, permissions
from core.errors import UserValueError
from maintenance import faults, records
from deliverables.models import STATUSES
from phases.completeness import completeness, fetch_rows, portfolio as portfolio_of
from web.blueprint import bp
from deliverables.registers import register_rows


def maintenance_alerts(project) -> dict:
    """Open faults with their deadlines and overdue records of `project` (empty without maintenance)."""
    open_faults = faults.list_faults(project, "open")
    overdue = [i for i in records.list_records(project) if i.status == "overdue"] if project.maintenance_start else []
    return {"faults": open_faults, "records": overdue}


@bp.get("/")
def portfolio():
    user = g.user
    projects = list(db.session().scalars(access.visible_projects(user)))
    per_project = portfolio_of(fetch_rows(project_filter=access.project_filter(user)))
    empty = completeness([])
    items = []
    for p in projects:
        c = per_project.get(p.id, empty)
        counts = {"missing": c["total"] - c["with_version"], "draft": sum(x["draft"] for x in c["phases"]),
                  "in_review": sum(x["in_review"] for x in c["phases"]),
                  "rejected": sum(x["rejected"] for x in c["phases"]), "signed_off": c["signed_off"]}
        items.append({"project": p, "c": c, "counts": counts, "alerts": maintenance_alerts(p)})
    return render_template("portfolio.html", items=items)


def _filters() -> tuple[str | None, str | None]:
    cat = get_catalog()
    phase = request.args.get("phase") or None
    status = request.args.get("status") or None
    if phase and phase not in {p.key for p in cat.phases}:
        raise UserValueError(f"Unknown phase '{phase}'.", "invalid_phase")
    if status and status not in STATUSES:
        raise UserValueError(f"Unknown status '{status}'.", "invalid_status")
    return phase, status


@bp.get("/projects/<code>")
def project_register(code):
    user = g.user
    project = access.get_project(user, code)
    phase, status = _filters()
    rows = register_rows(user, project, phase, status)
    cat = get_catalog()
    by_phase = [(p, [r for r in rows if r.deliverable.phase == p.key]) for p in cat.phases]
    c = completeness(fetch_rows([project.id]))
    return render_template("register.html", project=project, by_phase=by_phase, phases=cat.phases,
                           statuses=STATUSES, phase=phase, status=status, c=c,
                           alerts=maintenance_alerts(project),
                           can={"manage_members": bool(permissions.may_manage_members(user, project))})
