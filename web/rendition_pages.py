"""The rendition of a version for the pages: the PDF the in-page viewer (pdf.js) loads, and
the controlled copy (受控副本) button's download. Same answers as the API (renditions.serve)
after the same visibility rule, for the logged-in user."""
from __future__ import annotations

from flask import flash, g, redirect, url_for

from deliverables import visibility
from renditions import convert, serve
from renditions.models import PENDING, READY
from web.blueprint import bp
from web.i18n import gettext as _


@bp.get("/versions/<int:version_id>/preview.pdf")
def preview_pdf(version_id):
    """200 application/pdf, 202 {"status": "pending"} or 415: what the viewer script polls."""
    return serve.preview_response(visibility.get_version(g.user, version_id))


@bp.get("/versions/<int:version_id>/controlled-copy")
def controlled_copy_page(version_id):
    """The stamped PDF of a signed-off version, as a download (each one audited)."""
    user = g.user
    v = visibility.get_version(user, version_id)
    if v.signed_off_at is not None and serve.state(v)["status"] == PENDING:
        flash(_("受控副本所需的 PDF 正在生成，请稍后再试。"), "ok")
        return redirect(url_for("web.deliverable_page", deliverable_id=v.deliverable_id))
    return serve.controlled_copy_response(user, v)


@bp.app_template_global()
def pdf_previewable(v) -> bool:
    """Whether the version's type has a PDF rendition (the preview link and the viewer)."""
    return convert.kind_of(v.filename) is not None


@bp.app_template_global()
def has_controlled_copy(v) -> bool:
    """Whether the controlled-copy button shows: a signed-off version whose rendition is ready."""
    return v.signed_off_at is not None and serve.state(v)["status"] == READY
