"""GET /api/portfolio (the portfolio table's figures) and GET /api/projects/<code>/progress
(sign-offs by week): the same functions as the pages (portfolio.figures, phases.progress)."""
from __future__ import annotations

from api.blueprint import bp
from core.auth import api_user
from phases.progress import weekly_signoffs
from portfolio.figures import portfolio_rows
from projects import access


@bp.get("/portfolio")
def portfolio():
    """One row of figures per project the caller sees, in code order."""
    return {"projects": [r.as_json() for r in portfolio_rows(api_user())]}


@bp.get("/projects/<code>/progress")
def project_progress(code):
    project = access.get_project(api_user(), code)
    return {"project": project.code, **weekly_signoffs(project.id)}
