"""Client portal: the projects, their signed-off documents, single downloads and the bundle (portal/)."""
from __future__ import annotations

from flask import g, render_template

from catalog import get_catalog
from core import db
from projects import access
from portal.bundle import bundle_entries, bundle_response
from web.blueprint import bp


@bp.get("/portal")
def portal():
    user = g.user
    projects = list(db.session().scalars(access.visible_projects(user)))
    items = [(p, bundle_entries(p)) for p in projects]
    return render_template("portal.html", items=items)


@bp.get("/portal/<code>")
def portal_project(code):
    user = g.user
    project = access.get_project(user, code)
    entries = bundle_entries(project)
    cat = get_catalog()
    return render_template("portal_project.html", project=project, entries=entries, cat=cat)


@bp.get("/portal/<code>/bundle.zip")
def portal_bundle(code):
    """Same as GET /api/projects/<code>/bundle, for the logged-in user."""
    user = g.user
    return bundle_response(user, access.get_project(user, code))