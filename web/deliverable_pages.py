"""A deliverable: versions, sign-offs, upload (XHR with progress), drafts, signing, preview, download.

Every action calls the same operation as the API view next to it (api/deliverable_views.py);
the page adds only the password re-entry for signing and the presentation.
"""
from __future__ import annotations

from flask import current_app, flash, g, jsonify, redirect, render_template, request, url_for

from catalog import get_catalog
from deliverables import visibility
from projects import permissions
from core.auth import check_password
from core.errors import UserValueError
from core.throttle import Locked
from deliverables import drafts, signoffs, versions
from deliverables.filenames import clean_filename
from deliverables.labels import display_name
from deliverables.models import Version
from deliverables.signoff_state import MEANING
from portal.download import version_file_response
from web.form_errors import is_xhr, returns_to
from web.form_input import form_text
from web.blueprint import bp
from web.i18n import current_lang, gettext as _
from web.preview import previewable, render_preview


def _page(d_id: int) -> str:
    return url_for("web.deliverable_page", deliverable_id=d_id)


def _back(d_id: int):
    return redirect(_page(d_id))


@bp.get("/deliverables/<int:deliverable_id>")
def deliverable_page(deliverable_id):
    user = g.user
    d = visibility.get_deliverable(user, deliverable_id)
    vs = versions.list_versions(user, d)
    sos = versions.signoffs_of(v.id for v in vs)
    # The latest version (a client reaches it before sign-off) and what this user may do:
    # the template shows exactly the actions projects.permissions allows.
    pending = to_sign = None
    can = {"upload": bool(permissions.may_upload(user, d)),
           "generate_draft": bool(permissions.may_generate_draft(user, d)), "approve": False, "reject": False}
    if d.latest_version_id:
        pending = visibility.get_version_to_sign(user, d.latest_version_id)
        sos.setdefault(pending.id, versions.signoffs_of([pending.id]).get(pending.id, []))
        can["approve"] = bool(permissions.may_sign(user, pending, "approve"))
        can["reject"] = bool(permissions.may_sign(user, pending, "reject"))
        if can["approve"] or can["reject"]:
            to_sign = pending
    cat = get_catalog()
    return render_template("deliverable.html", d=d, project=d.project, versions=vs, sos=sos, to_sign=to_sign, pending=pending,
                           name=display_name(d, current_lang()), phase=cat.phase(d.phase),
                           can=can, sign_meaning=MEANING.get(user.role, ""), previewable=previewable,
                           max_mb=current_app.config["HANDOVER_MAX_UPLOAD_MB"],
                           # a client may sign a version she may not see yet: its file stays hidden
                           can_see=lambda v: visibility.can_see_version(user, v))


@bp.post("/deliverables/<int:deliverable_id>/upload")
def upload_page(deliverable_id):
    user = g.user
    d = visibility.get_deliverable(user, deliverable_id)
    returns_to(_page(d.id))  # the upload script gets the error page (status + message) instead
    permissions.require(permissions.may_upload(user, d))
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise UserValueError("Choose the file to upload.", "missing_file")
    note = form_text("note", max_len=2000, multiline=True)  # multipart: not seen by the request guard
    filename = clean_filename(upload.filename)  # a 400 before the blob exists: no orphan
    blob = upload.stream.commit_blob()
    v = versions.add_version(user, d, blob, filename, note=note, content_type=upload.mimetype)
    flash(_("已上传 V{n}：{name}", n=v.number, name=v.filename), "ok")
    if is_xhr():
        return jsonify({"ok": True, "version": v.number, "redirect": url_for("web.deliverable_page",
                                                                              deliverable_id=d.id)}), 201
    return _back(d.id)


@bp.post("/deliverables/<int:deliverable_id>/draft")
def draft_page(deliverable_id):
    user = g.user
    d = visibility.get_deliverable(user, deliverable_id)
    returns_to(_page(d.id))
    v = drafts.generate_draft(user, d, request.form.get("format", "docx"))
    flash(_("已生成初稿 V{n}：{name}", n=v.number, name=v.filename), "ok")
    return _back(d.id)


@bp.post("/versions/<int:version_id>/sign")
def sign_page(version_id):
    user = g.user
    v = visibility.get_version_to_sign(user, version_id)
    d_id = v.deliverable_id
    returns_to(_page(d_id))
    decision = request.form.get("decision")
    comment = (request.form.get("comment") or "").strip()
    if decision not in ("approve", "reject"):
        raise UserValueError("Choose approve or reject.", "missing_decision")
    if len(comment) > 2000:
        raise UserValueError("The comment is longer than 2000 characters.", "too_long", max_len=2000)
    try:
        password_ok = check_password(user, request.form.get("password") or "")
    except Locked as exc:  # the same throttle as login: wrong passwords here count there too
        raise UserValueError(f"Too many wrong passwords; try again in {exc.wait} s. Not signed.",
                             "too_many_attempts", seconds=exc.wait) from exc
    if not password_ok:
        raise UserValueError("Wrong password; not signed.", "wrong_password")
    signoffs.sign(user, v, decision, comment)
    flash(_("已签署 V{n}（{what}）。", n=v.number, what=_("通过") if decision == "approve" else _("驳回")), "ok")
    return _back(d_id)


@bp.get("/versions/<int:version_id>/download")
def download_page(version_id):
    user = g.user
    return version_file_response(user, visibility.get_version(user, version_id))


@bp.get("/versions/<int:version_id>/preview")
def preview_page(version_id):
    user = g.user
    v: Version = visibility.get_version(user, version_id)
    d = v.deliverable
    kind, body = render_preview(v)
    return render_template("preview.html", v=v, d=d, kind=kind, body=body, name=display_name(d, current_lang()))
