"""Answers about a version's rendition (the API and the pages call these after the one
visibility rule, deliverables.visibility, has found the version): the preview PDF and the
controlled copy. Reads only, except that a controlled copy is written to the audit trail."""
from __future__ import annotations

import io
import tempfile
from pathlib import Path
from urllib.parse import quote

from flask import Response, current_app, jsonify, send_file
from sqlalchemy import select

from core import audit, db
from core.clock import local_tz, now
from core.errors import Conflict, NotFound, UnsupportedType
from core.models import User
from core.storage import blob_path, read_chunks
from deliverables.filenames import ascii_fallback
from deliverables.models import Deliverable, Signoff, Version
from renditions import enabled, rendition_of
from renditions.controlled import SignLine, stamp_pdf
from renditions.models import NO_PREVIEW, PENDING, READY, Rendition

DECISIONS = {"approve": "通过", "reject": "驳回"}


def state(v: Version) -> dict:
    """{"status": ready|pending|no_preview, "reason", "pages"} of the version's rendition."""
    row = rendition_of(v.sha256)
    if row is None:
        if enabled():
            return {"status": PENDING, "reason": "", "pages": None}
        return {"status": NO_PREVIEW, "reason": "renditions are switched off", "pages": None}
    return {"status": row.status, "reason": row.reason, "pages": row.pages}


def _ready(v: Version) -> Rendition | Response:
    """The ready row, or the 202 answer while the worker makes it; 415 when there is none."""
    row = rendition_of(v.sha256)
    st = state(v)
    if st["status"] == PENDING:
        resp = jsonify({"status": "pending"})
        resp.status_code = 202
        resp.headers["Retry-After"] = "2"
        resp.headers["Cache-Control"] = "no-store"
        return resp
    if st["status"] == NO_PREVIEW:
        reason = st["reason"] or "no preview for this file type"
        raise UnsupportedType(f"No preview: {reason}.", "no_preview", reason=reason)
    path = blob_path(row.pdf_sha256)
    if not path.exists():
        current_app.logger.error("rendition blob missing for %s (%s)", v.sha256, row.pdf_sha256)
        raise NotFound("The stored file is missing; an administrator has been told.", "blob_missing")
    return row


def _pdf_name(v: Version, prefix: str = "") -> str:
    return prefix + Path(v.filename).stem + ".pdf"


def _disposition(kind: str, filename: str) -> str:
    return f"{kind}; filename=\"{ascii_fallback(filename)}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _harden(resp: Response) -> Response:
    resp.headers["X-Content-Type-Options"] = "nosniff"
    # Opened directly, the PDF gets no scripts and no origin of ours (pdf.js fetches it instead).
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    resp.headers["Cache-Control"] = "private, no-cache"
    return resp


def preview_response(v: Version) -> Response:
    """200 application/pdf (ETag: the PDF's sha256), 202 {"status": "pending"}, or 415 no_preview."""
    row = _ready(v)
    if isinstance(row, Response):
        return row
    resp = send_file(blob_path(row.pdf_sha256), mimetype="application/pdf", etag=row.pdf_sha256, conditional=True,
                     last_modified=row.finished_at, max_age=0)
    resp.headers["Content-Disposition"] = _disposition("inline", _pdf_name(v))
    return _harden(resp)


def sign_lines(v: Version, signoffs: list[Signoff] | None = None) -> list[SignLine]:
    """The 签署页 rows: every sign-off of `v` (read unless given), times in the local zone."""
    tz = local_tz()
    out = []
    if signoffs is None:
        signoffs = list(db.session().scalars(select(Signoff).where(Signoff.version_id == v.id).order_by(Signoff.id)))
    for so in signoffs:
        out.append(SignLine(step=so.meaning or so.step or so.role, signer=so.signer_name,
                            decision=DECISIONS.get(so.decision, so.decision),
                            time=so.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"), comment=so.comment or ""))
    return out


def controlled_copy_response(user: User, v: Version) -> Response:
    """The stamped PDF of a signed-off version (409 otherwise), streamed; one audit entry per copy."""
    if v.signed_off_at is None:
        raise Conflict("Only a signed-off version has controlled copies.", "not_signed_off")
    row = _ready(v)
    if isinstance(row, Response):
        return row
    d = v.deliverable
    out = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
    try:
        pages = _stamp(user, v, row, sign_lines(v), out)
        size = out.tell()
        out.seek(0)
    except BaseException:
        out.close()
        raise
    audit.record("version.controlled_copy", user, object_type="version", object_id=v.id,
                 project_code=d.project.code, sha256=v.sha256, pages=pages)

    def chunks():
        with out:
            yield from read_chunks(out, 256 * 1024)

    resp = Response(chunks(), mimetype="application/pdf")
    resp.headers["Content-Length"] = str(size)
    resp.headers["Content-Disposition"] = _disposition("attachment", _pdf_name(v, "受控副本-"))
    return _harden(resp)


def _stamp(user: User, v: Version, row: Rendition, lines: list[SignLine], out, d: Deliverable | None = None) -> int:
    d = d if d is not None else v.deliverable
    return stamp_pdf(blob_path(row.pdf_sha256), out, user_name=user.name, when=now().astimezone(local_tz()),
                     title=v.filename, signoffs=lines, sha256=v.sha256, doc_no=getattr(d, "doc_no", None) or "")


def ready_shas(shas: set[str]) -> set[str]:
    """Of the source blobs `shas`, those whose rendition is ready."""
    if not shas:
        return set()
    return set(db.session().scalars(select(Rendition.sha256).where(Rendition.sha256.in_(shas),
                                                                   Rendition.status == READY)))


def controlled_copy_bytes(user: User, v: Version, d: Deliverable, signoffs: list[Signoff]) -> bytes:
    """The controlled copy of a signed-off version whose rendition is ready, in memory (the
    client's bundle, one file at a time; the bundle download itself is audited)."""
    row = rendition_of(v.sha256)
    buf = io.BytesIO()
    _stamp(user, v, row, sign_lines(v, signoffs), buf, d)
    return buf.getvalue()
