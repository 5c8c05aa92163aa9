"""ZIP imports of a project (issue 17): upload a ZIP of a vendor's folder tree, follow its runs."""
from __future__ import annotations

from flask import jsonify, request

from api.blueprint import bp
from core.auth import api_user
from core.errors import UserValueError
from deliverables.filenames import clean_filename
from imports import zipimport
from projects import access, permissions


@bp.post("/projects/<code>/imports")
def post_import(code):
    """Queue the import of a ZIP (multipart part `file`); 202 with the run. Admin or a pm of the project."""
    user = api_user()
    project = access.get_project(user, code)
    permissions.require(permissions.may_import(user, project))  # before the bytes are read
    if not (request.mimetype or "").startswith("multipart/form-data"):
        raise UserValueError("Send the ZIP as multipart/form-data with a 'file' part.", "missing_file")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise UserValueError("The 'file' part is missing.", "missing_file")
    run = zipimport.accept_zip(user, project, upload.stream, clean_filename(upload.filename))
    return jsonify(zipimport.run_json(run)), 202


@bp.get("/projects/<code>/imports")
def list_imports(code):
    """The project's latest import runs with progress and result. Admin or a pm of the project."""
    user = api_user()
    project = access.get_project(user, code)
    permissions.require(permissions.may_import(user, project))
    return jsonify({"imports": [zipimport.run_json(r) for r in zipimport.runs_of(project)]})
