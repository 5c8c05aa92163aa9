"""Serving a version's exact bytes: ETag = sha256, RFC 6266/5987 names, ranges, never inline HTML."""
from __future__ import annotations

from urllib.parse import quote

from flask import Response, current_app, request, send_file

from core import audit
from core.errors import NotFound
from core.models import User
from core.storage import blob_path
from deliverables.filenames import ascii_fallback
from deliverables.models import Version


def content_disposition(filename: str) -> str:
    """attachment with an ASCII fallback and the UTF-8 name (RFC 6266 / RFC 5987)."""
    return f"attachment; filename=\"{ascii_fallback(filename)}\"; filename*=UTF-8''{quote(filename, safe='')}"


def version_file_response(user: User, version: Version) -> Response:
    """The stored bytes of `version` as an attachment (304 for a matching If-None-Match)."""
    path = blob_path(version.sha256)
    if not path.exists():
        current_app.logger.error("blob missing for version %s (%s)", version.id, version.sha256)
        raise NotFound("The stored file is missing; an administrator has been told.", "blob_missing")
    if version.sha256 not in request.if_none_match:
        audit.record("version.download", user, object_type="version", object_id=version.id,
                     project_code=version.deliverable.project.code, sha256=version.sha256)
    # Uploaded HTML/SVG must never render in our origin: always octet-stream + attachment.
    resp = send_file(path, mimetype="application/octet-stream", as_attachment=True,
                     download_name=version.filename, etag=version.sha256, conditional=True,
                     last_modified=version.created_at, max_age=0)
    resp.headers["Content-Disposition"] = content_disposition(version.filename)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    resp.headers["Cache-Control"] = "private, no-cache"
    return resp
