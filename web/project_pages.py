"""A project's register (/projects/<code>); the portfolio (/) is web.portfolio_pages."""
from __future__ import annotations

from flask import g, render_template, request

from catalog import get_catalog
from projects import access, permissions
from core.errors import UserValueError
from maintenance import faults, records
from deliverables.models import STATUSES
from phases.completeness import completeness, fetch_rows
from phases.progress import weekly_signoffs
from web import home_tasks, workflow_pages
from web.blueprint import bp
from deliverables.registers import register_rows


def maintenance_alerts(project) -> dict:
    """Open faults with their deadlines and overdue records of `project` (empty without maintenance)."""
    open_faults = faults.list_faults(project, "open")
    overdue = [i for i in records.list_records(project) if i.status == "overdue"] if project.maintenance_start else []
    return {"faults": open_faults, "records": overdue}


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
    step = request.args.get("step") or None  # a step key (or name); an unknown one keeps no row
    step_choices = workflow_pages.step_choices(project.id, step)
    rows = register_rows(user, project, phase, status, step=step)
    cat = get_catalog()
    by_phase = [(p, [r for r in rows if r.deliverable.phase == p.key]) for p in cat.phases]
    c = completeness(fetch_rows([project.id]))
    return render_template("register.html", project=project, by_phase=by_phase, phases=cat.phases,
                           statuses=STATUSES, phase=phase, status=status, c=c,
                           alerts=maintenance_alerts(project), step=step, step_choices=step_choices,
                           step_name=home_tasks.step_name, waiting_text=home_tasks.waiting_text,
                           progress=weekly_signoffs(project.id),
                           can={"manage_members": bool(permissions.may_manage_members(user, project)),
                                "manage_workflow": bool(permissions.may_manage_workflow(user, project))})
