"""The import page of a project (issue 17): a pm uploads a ZIP of a vendor's folder tree; the
worker imports it (imports.zipimport) and the page shows each run's progress and result
(placed, duplicates skipped, files it could not place). Refreshes itself while a run is open."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from catalog import get_catalog
from core.errors import UserValueError
from deliverables.filenames import clean_filename
from imports import zipimport
from imports.models import QUEUED, RUNNING
from projects import access
from projects.permissions import may_import, require
from web.blueprint import bp
from web.form_errors import returns_to
from web.i18n import gettext as _


@bp.get("/projects/<code>/import")
def project_import_page(code):
    """The form, and the project's latest runs with their results."""
    user = g.user
    project = access.get_project(user, code)
    require(may_import(user, project))
    runs = [zipimport.run_json(r) for r in zipimport.runs_of(project)]
    names = {d.key: d.name_zh for d in get_catalog().documents}
    busy = any(r["status"] in (QUEUED, RUNNING) for r in runs)
    return render_template("import.html", project=project, runs=runs, names=names, busy=busy)


@bp.post("/projects/<code>/import")
def project_import_upload(code):
    """Accept a ZIP (checked before it is kept) and queue its import."""
    user = g.user
    project = access.get_project(user, code)
    require(may_import(user, project))
    returns_to(url_for("web.project_import_page", code=project.code))
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise UserValueError("The 'file' part is missing.", "missing_file")
    zipimport.accept_zip(user, project, upload.stream, clean_filename(upload.filename))
    flash(_("ZIP 已上传，正在后台导入。"), "ok")
    return redirect(url_for("web.project_import_page", code=project.code))
