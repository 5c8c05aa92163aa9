"""Renditions: the preview PDF and the controlled copy of a version (issue 14)."""
from __future__ import annotations

from api.blueprint import bp
from core.auth import api_user
from deliverables import visibility
from renditions import serve


@bp.get("/versions/<int:version_id>/preview")
def version_preview(version_id):
    """200 application/pdf, 202 {"status": "pending"}, 415 no_preview; visibility as the file."""
    user = api_user()
    return serve.preview_response(visibility.get_version(user, version_id))


@bp.get("/versions/<int:version_id>/controlled-copy")
def version_controlled_copy(version_id):
    """The stamped PDF of a signed-off version (409 otherwise); each copy is audited."""
    user = api_user()
    return serve.controlled_copy_response(user, visibility.get_version(user, version_id))
