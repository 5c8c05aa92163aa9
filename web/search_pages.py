"""Full-text search page: the same search.query as GET /api/search; snippets come pre-escaped with <mark>."""
from __future__ import annotations

from flask import g, render_template, request

import search as search_facade

from catalog import get_catalog
from core import db
from projects import access
from deliverables.models import STATUSES
from web.blueprint import bp

PAGE = 20


@bp.get("/search")
def search_page():
    user = g.user
    cat = get_catalog()
    q = (request.args.get("q") or "").strip()[:500]
    code = request.args.get("project") or None
    phase = request.args.get("phase") if request.args.get("phase") in {p.key for p in cat.phases} else None
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    try:
        page = max(1, min(int(request.args.get("page", "1")), 10_000))
    except ValueError:
        page = 1
    project_id = access.get_project(user, code).id if code else None
    result = None
    if q:
        filters = search_facade.Filters(project_id=project_id, phase=phase, status=status)
        result = search_facade.query(user, q, filters, limit=PAGE, offset=(page - 1) * PAGE)
    projects = list(db.session().scalars(access.visible_projects(user)))
    pages = ((result.total + PAGE - 1) // PAGE) if result else 0
    return render_template("search.html", q=q, result=result, page=page, pages=pages, projects=projects,
                           phases=cat.phases, statuses=STATUSES, project=code, phase=phase, status=status)
