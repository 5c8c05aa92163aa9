"""Portfolio (/) and a project's register (/projects/<code>)."""
from __future__ import annotations

from flask import g, render_template, request
from sqlalchemy import func, select

from catalog import get_catalog
from core import db
from projects import access, permissions
from core.errors import UserValueError
from maintenance import faults, records
from maintenance.alerts import alerts_by_project
from deliverables.models import STATUSES
from phases.completeness import completeness, fetch_rows, portfolio as portfolio_of
from web import home_tasks, workflow_pages
from web.blueprint import bp
from deliverables.registers import register_rows


def maintenance_alerts(project) -> dict:
    """Open faults with their deadlines and overdue records of `project` (empty without maintenance)."""
    open_faults = faults.list_faults(project, "open")
    overdue = [i for i in records.list_records(project) if i.status == "overdue"] if project.maintenance_start else []
    return {"faults": open_faults, "records": overdue}


PORTFOLIO_PAGE = 25  # projects per portfolio page: a page costs the same with 30 projects or 3,000


def _page_number() -> int:
    try:
        return max(1, min(int(request.args.get("page", "1")), 100_000))
    except ValueError:
        return 1


@bp.get("/")
def portfolio():
    user = g.user
    visible = access.visible_projects(user)
    total = db.session().scalar(select(func.count()).select_from(visible.subquery()))
    pages = max(1, -(-total // PORTFOLIO_PAGE))
    page = min(_page_number(), pages)
    projects = list(db.session().scalars(visible.limit(PORTFOLIO_PAGE).offset((page - 1) * PORTFOLIO_PAGE)))
    per_project = portfolio_of(fetch_rows([p.id for p in projects]))
    alerts = alerts_by_project(projects)  # a fixed number of queries for any number of projects
    waiting = home_tasks.waiting_counts([p.id for p in projects])  # one query: links to ?step=
    empty = completeness([])
    items = []
    for p in projects:
        c = per_project.get(p.id, empty)
        counts = {"missing": c["total"] - c["with_version"], "draft": sum(x["draft"] for x in c["phases"]),
                  "in_review": sum(x["in_review"] for x in c["phases"]),
                  "rejected": sum(x["rejected"] for x in c["phases"]), "signed_off": c["signed_off"]}
        items.append({"project": p, "c": c, "counts": counts, "alerts": alerts[p.id], "waiting": waiting[p.id]})
    # 待办 first (todo.tasks.tasks_for: the same list as GET /api/me/tasks), the portfolio below
    return render_template("portfolio.html", items=items, task_groups=home_tasks.task_groups(user),
                           step_name=home_tasks.step_name, page=page, pages=pages, total=total)


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
                           can={"manage_members": bool(permissions.may_manage_members(user, project)),
                                "manage_workflow": bool(permissions.may_manage_workflow(user, project))})
