"""Client portal: the projects, their signed-off documents, single downloads and the bundle (portal/)."""
from __future__ import annotations

from flask import Response, g, render_template, stream_with_context

from catalog import get_catalog
from core import access, audit, db
from portal.bundle import bundle_entries, stream_bundle
from portal.download import content_disposition
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
    project = access.get_project(user, code)
    entries = bundle_entries(project)
    audit.record("bundle.download", user, object_type="project", object_id=project.id, project_code=project.code,
                 files=len(entries))
    db.session().commit()  # the stream outlives the request's commit point
    filename = f"{project.code}-{project.name}-交付文档.zip"
    resp = Response(stream_with_context(stream_bundle(project, entries)), mimetype="application/zip")
    resp.headers["Content-Disposition"] = content_disposition(filename)
    return resp
