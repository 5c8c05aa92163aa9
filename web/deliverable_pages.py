"""A deliverable: versions, sign-offs, upload (XHR with progress), drafts, signing, preview, download.

Every action calls the same operation as the API view next to it (api/deliverable_views.py);
the page adds only the password re-entry for signing and the presentation.
"""
from __future__ import annotations

from flask import current_app, flash, g, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from catalog import get_catalog
from deliverables import visibility
from projects import permissions
from core.auth import check_password
from core.errors import Conflict, UserValueError
from core.throttle import Locked
from core import db
from deliverables import drafts, same_content, signing_copy, signoffs, versions, workflow
from deliverables.filenames import clean_filename
from deliverables.labels import display_name
from deliverables.models import Version
from portal.download import version_file_response
from web import home_tasks
from web.form_errors import is_xhr, kept_form_of_any, returns_to
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
    # The latest version (when this user may see it) and what this user may do at its step:
    # the template shows exactly the actions projects.permissions allows.
    pending = to_sign = None
    can = {"upload": bool(permissions.may_upload(user, d)),
           "generate_draft": bool(permissions.may_generate_draft(user, d)), "approve": False, "reject": False}
    pending = db.session().get(Version, d.latest_version_id) if d.latest_version_id else None
    if pending is not None:  # its number and steps are shown; its file only when can_see (below)
        sos.setdefault(pending.id, versions.signoffs_of([pending.id]).get(pending.id, []))
    if pending is not None and visibility.can_see_version(user, pending):
        approve = permissions.may_sign(user, pending, "approve")
        can["approve"] = bool(approve)
        can["reject"] = bool(permissions.may_sign(user, pending, "reject"))
        can["why_not_approve"] = approve.code if can["reject"] and not approve else ""  # e.g. own_upload, hints_left
        can["why_not_params"] = approve.params
        if can["approve"] or can["reject"]:
            to_sign = pending
    cat = get_catalog()
    # Where the latest version waits (who may act, due in working days), and a sign form that
    # came back (web.form_errors) from another version of this document: stale, refilled.
    waiting = workflow.waiting_of([pending]).get(pending.id) if pending is not None else None
    sign_actions = {url_for("web.sign_page", version_id=vid): vid for vid in
                    db.session().scalars(select(Version.id).where(Version.deliverable_id == d.id))}
    kept_action, kept_sign = kept_form_of_any(sign_actions)
    stale_from = sign_actions.get(kept_action) if kept_action else None
    if to_sign is not None and stale_from == to_sign.id:
        stale_from = None
    moved = to_sign is not None and kept_sign.get("step") not in (None, "", to_sign.step_key)
    if stale_from is not None or moved:  # the text, not the decision: it was about another version or step
        kept_sign = {"comment": kept_sign.get("comment", "")}
    return render_template("deliverable.html", d=d, project=d.project, versions=vs, sos=sos, to_sign=to_sign, pending=pending,
                           name=display_name(d, current_lang()), phase=cat.phase(d.phase),
                           can=can, sign_meaning=(pending.step_name or "") if pending else "",
                           waiting=waiting, kept_sign=kept_sign, stale_from=stale_from,
                           waiting_text=home_tasks.waiting_text, workdays_text=home_tasks.workdays_text,
                           step_name=home_tasks.step_name, role_label=home_tasks.role_label,
                           chain_of=workflow.chain_of, previewable=previewable,
                           max_mb=current_app.config["HANDOVER_MAX_UPLOAD_MB"],
                           # a client is told a newer version is under way; its file stays hidden
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
    blob = upload.stream.commit_blob()  # content-addressed: storing known bytes again adds nothing
    same = same_content.earlier_version_with_bytes(d, blob.sha256)
    if same is not None and request.form.get("same_ok") != "1":
        raise Conflict(f"The file has the same content as V{same.number}; no version was made.",
                       "same_content", number=same.number)
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


@bp.post("/versions/<int:version_id>/strip-hints")
def strip_hints_page(version_id):
    user = g.user
    v = visibility.get_version(user, version_id)
    returns_to(_page(v.deliverable_id))
    new = signing_copy.signing_copy(user, v)
    flash(_("已清除填写说明，生成签署稿 V{n}：{name}", n=new.number, name=new.filename), "ok")
    return _back(v.deliverable_id)


def _not_stale(v: Version) -> None:
    """409 with what happened when the form was for a version that is no longer the latest, or
    for a step the version has left (the form posts the step it showed); the page keeps the
    typed comment (web.form_errors)."""
    d = v.deliverable
    shown = (request.form.get("step_name") or "").strip()[:16]
    if d.latest_version_id != v.id:
        latest = db.session().get(Version, d.latest_version_id)
        raise Conflict(f"This document has a newer version V{latest.number}; look at it before signing.",
                       "newer_version", n=latest.number, step=_(shown) if shown else _("签署"))
    posted = (request.form.get("step") or "").strip()
    if posted and v.step_key and posted != v.step_key:
        raise Conflict(f"V{v.number} has moved on to another step ({v.step_key}); look at it first.",
                       "step_moved", n=v.number, step=home_tasks.step_name(v.step_name))


@bp.post("/versions/<int:version_id>/sign")
def sign_page(version_id):
    user = g.user
    v = visibility.get_version_to_sign(user, version_id)  # a superseded one she saw: 409 below
    d_id = v.deliverable_id
    returns_to(_page(d_id))
    _not_stale(v)  # before the password: a form left open while the document moved on
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
