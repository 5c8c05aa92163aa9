"""A deliverable: versions, sign-offs, upload (XHR with progress), drafts, signing, preview, download.

Every action calls the same operation as the API view next to it (api/deliverable_views.py);
the page adds only the password re-entry for signing and the presentation.
"""
from __future__ import annotations

from flask import current_app, flash, g, jsonify, redirect, render_template, request, url_for

from catalog import get_catalog
from core import access, db
from core.auth import check_password
from core.errors import Forbidden, HandoverError, UserValueError
from deliverables import drafts, signoffs, versions
from deliverables.models import Version
from deliverables.signoff_state import SIGNING_ROLES
from portal.download import version_file_response
from web.error_text import error_text
from web.blueprint import bp
from web.i18n import gettext as _
from web.preview import previewable, render_preview


def _is_xhr() -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


def _back(d_id: int):
    return redirect(url_for("web.deliverable_page", deliverable_id=d_id))


def _fail(exc: HandoverError, d_id: int):
    """A refused form action: nothing is written; say why on the page."""
    db.session().rollback()
    flash(error_text(exc), "error")
    return _back(d_id)


def _display_name(cat, d) -> str:
    from web.i18n import current_lang
    item = cat.document(d.document_key) or cat.record(d.document_key)
    if current_lang() == "en" and item is not None and item.name_en:
        return item.name_en
    return cat.name_zh(d.document_key)


@bp.get("/deliverables/<int:deliverable_id>")
def deliverable_page(deliverable_id):
    user = g.user
    d = access.get_deliverable(user, deliverable_id)
    vs = versions.list_versions(user, d)
    sos = versions.signoffs_of(v.id for v in vs)
    # What this user may sign: the latest version (a client reaches it before sign-off).
    to_sign = pending = None
    if user.role in SIGNING_ROLES and d.latest_version_id and access.is_member(user, d.project_id):
        pending = access.get_version_to_sign(user, d.latest_version_id)
        sos.setdefault(pending.id, versions.signoffs_of([pending.id]).get(pending.id, []))
        if not any(s.user_id == user.id for s in sos[pending.id]) and d.status not in ("rejected", "signed_off"):
            to_sign = pending
    cat = get_catalog()
    return render_template("deliverable.html", d=d, project=d.project, versions=vs, sos=sos, to_sign=to_sign, pending=pending,
                           name=_display_name(cat, d), phase=cat.phase(d.phase),
                           can_upload=versions.can_upload(user), previewable=previewable,
                           max_mb=current_app.config["HANDOVER_MAX_UPLOAD_MB"])


@bp.post("/deliverables/<int:deliverable_id>/upload")
def upload_page(deliverable_id):
    user = g.user
    d = access.get_deliverable(user, deliverable_id)
    try:
        if not versions.can_upload(user):
            raise Forbidden("Only the vendor's pm, engineers or an admin may add versions.")
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise UserValueError(_("请选择要上传的文件。"), "missing_file")
        note = (request.form.get("note") or "").strip()[:2000]
        blob = upload.stream.commit_blob()
        v = versions.add_version(user, d, blob, upload.filename, note=note, content_type=upload.mimetype)
    except HandoverError as exc:
        if _is_xhr():
            raise  # the error page (status + message) goes back to the script
        return _fail(exc, d.id)
    flash(_("已上传 V{n}：{name}", n=v.number, name=v.filename), "ok")
    if _is_xhr():
        return jsonify({"ok": True, "version": v.number, "redirect": url_for("web.deliverable_page",
                                                                              deliverable_id=d.id)}), 201
    return _back(d.id)


@bp.post("/deliverables/<int:deliverable_id>/draft")
def draft_page(deliverable_id):
    user = g.user
    d = access.get_deliverable(user, deliverable_id)
    try:
        v = drafts.generate_draft(user, d, request.form.get("format", "docx"))
    except HandoverError as exc:
        return _fail(exc, d.id)
    flash(_("已生成初稿 V{n}：{name}", n=v.number, name=v.filename), "ok")
    return _back(d.id)


@bp.post("/versions/<int:version_id>/sign")
def sign_page(version_id):
    user = g.user
    v = access.get_version_to_sign(user, version_id)
    d_id = v.deliverable_id
    decision = request.form.get("decision")
    comment = (request.form.get("comment") or "").strip()
    try:
        if decision not in ("approve", "reject"):
            raise UserValueError(_("请选择通过或驳回。"), "missing_field")
        if len(comment) > 2000:
            raise UserValueError(_("意见不能超过 2000 字。"), "too_long")
        if not check_password(user, request.form.get("password") or ""):
            raise UserValueError(_("密码错误，未签署。"), "wrong_password")
        signoffs.sign(user, v, decision, comment)
    except HandoverError as exc:
        return _fail(exc, d_id)
    flash(_("已签署 V{n}（{what}）。", n=v.number, what=_("通过") if decision == "approve" else _("驳回")), "ok")
    return _back(d_id)


@bp.get("/versions/<int:version_id>/download")
def download_page(version_id):
    user = g.user
    return version_file_response(user, access.get_version(user, version_id))


@bp.get("/versions/<int:version_id>/preview")
def preview_page(version_id):
    user = g.user
    v: Version = access.get_version(user, version_id)
    d = v.deliverable
    kind, body = render_preview(v)
    return render_template("preview.html", v=v, d=d, kind=kind, body=body,
                           name=get_catalog().name_zh(d.document_key))
