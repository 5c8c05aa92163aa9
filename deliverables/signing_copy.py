"""清除填写说明: the signing copy of a DOCX version, stored as the deliverable's next version.

The stored version is never changed: its bytes are read, every 填写说明 (templates_docs.hints)
is removed, and the result is added like an upload (source "clean"), which gets the next
revision label and enters the sign-off workflow like any new version."""
from __future__ import annotations

from core.errors import Conflict, UserValueError
from core.models import User
from core.storage import blob_path, store_bytes
from deliverables.models import Version
from deliverables.versions import add_version
from projects.permissions import may_upload, require
from templates_docs.hints import strip_hints

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def signing_copy(user: User, v: Version) -> Version:
    """Store the signing copy of DOCX version `v` (without 填写说明) as the next version.

    400 `not_docx` for another type, 409 `no_hints` when `v` has none left."""
    d = v.deliverable
    require(may_upload(user, d))
    if not v.filename.lower().endswith(".docx"):
        raise UserValueError("Only a DOCX version has 填写说明 to remove.", "not_docx")
    try:
        data, removed = strip_hints(blob_path(v.sha256).read_bytes())
    except ValueError:
        raise UserValueError("The DOCX could not be read.", "not_docx") from None
    if not removed:
        raise Conflict(f"V{v.number} has no 填写说明 left.", "no_hints", n=v.number)
    stem = v.filename[:-5]
    return add_version(user, d, store_bytes(data), f"{stem}-签署稿.docx",
                       note=f"清除填写说明（由 V{v.number} {v.revision} 生成，删除 {removed} 条）".replace("  ", " "),
                       source="clean", content_type=DOCX_MIME)
