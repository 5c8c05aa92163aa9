"""Versions, drafts, downloads, sign-offs and bundles."""
from __future__ import annotations

from flask import jsonify, request

from api import inputs
from api.blueprint import bp
from api.shapes import deliverable_json, signoff_json, upload_json, version_json
from core import db
from deliverables import visibility
from projects import access, permissions
from core.auth import api_user
from core.errors import UserValueError
from deliverables import drafts, same_content, signing_copy, signoffs, versions, workflow
from deliverables.filenames import clean_filename
from deliverables.models import Version
from portal.bundle import bundle_response
from portal.download import version_file_response


@bp.get("/deliverables/<int:deliverable_id>")
def get_deliverable(deliverable_id):
    user = api_user()
    d = visibility.get_deliverable(user, deliverable_id)
    latest_id = visibility.latest_version_id(user, d)
    latest = db.session().get(Version, latest_id) if latest_id else None
    return jsonify(deliverable_json(d, latest, d.project.code, workflow.waiting_of([latest]).get(latest_id)))


@bp.post("/deliverables/<int:deliverable_id>/versions")
def upload_version(deliverable_id):
    user = api_user()
    d = visibility.get_deliverable(user, deliverable_id)
    permissions.require(permissions.may_upload(user, d))  # before the bytes are stored
    if not (request.mimetype or "").startswith("multipart/form-data"):
        raise UserValueError("Send the file as multipart/form-data with a 'file' part.", "missing_file")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise UserValueError("The 'file' part is missing.", "missing_file")
    note = inputs.text(request.form, "note", required=False, max_len=2000, multiline=True)
    filename = clean_filename(upload.filename)  # a 400 before the blob exists: no orphan
    blob = upload.stream.commit_blob()
    same = same_content.earlier_version_with_bytes(d, blob.sha256)
    v = versions.add_version(user, d, blob, filename, note=note, content_type=upload.mimetype)
    # Accepted as before; the answer names the earlier version with the same bytes (or null).
    return jsonify(upload_json(v, same)), 201


@bp.get("/deliverables/<int:deliverable_id>/versions")
def list_versions(deliverable_id):
    user = api_user()
    d = visibility.get_deliverable(user, deliverable_id)
    vs = versions.list_versions(user, d)
    sos = versions.signoffs_of(v.id for v in vs)
    return jsonify([version_json(v, sos.get(v.id, [])) for v in vs])


@bp.post("/deliverables/<int:deliverable_id>/draft")
def generate_draft(deliverable_id):
    user = api_user()
    d = visibility.get_deliverable(user, deliverable_id)
    body = inputs.json_body() if request.get_data(cache=True) else {}
    fmt = inputs.choice(body, "format", drafts.FORMATS, required=False, default="docx")
    v = drafts.generate_draft(user, d, fmt)
    return jsonify(version_json(v, [])), 201


@bp.post("/versions/<int:version_id>/strip-hints")
def strip_hints(version_id):
    """清除填写说明: the version's signing copy becomes the next version (201)."""
    user = api_user()
    v = visibility.get_version(user, version_id)
    new = signing_copy.signing_copy(user, v)
    return jsonify(version_json(new, [])), 201


@bp.get("/versions/<int:version_id>")
def get_version(version_id):
    user = api_user()
    v = visibility.get_version(user, version_id)
    return jsonify(version_json(v, versions.signoffs_of([v.id]).get(v.id, [])))


@bp.get("/versions/<int:version_id>/file")
def version_file(version_id):
    user = api_user()
    return version_file_response(user, visibility.get_version(user, version_id))


@bp.post("/versions/<int:version_id>/signoffs")
def sign_version(version_id):
    user = api_user()
    v = visibility.get_version_to_sign(user, version_id)
    body = inputs.json_body()
    decision = inputs.choice(body, "decision", ("approve", "reject"))
    comment = inputs.text(body, "comment", required=False, max_len=2000, multiline=True)
    so = signoffs.sign(user, v, decision, comment)
    return jsonify(signoff_json(so) | {"deliverable_status": v.deliverable.status}), 201


@bp.get("/projects/<code>/bundle")
def bundle(code):
    user = api_user()
    return bundle_response(user, access.get_project(user, code))
