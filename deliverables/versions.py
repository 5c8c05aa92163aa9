"""Operations on versions: upload (streamed), generated drafts, numbering."""
from __future__ import annotations

import mimetypes
from typing import Iterable

from sqlalchemy import select

from core import audit, db
from core.clock import now
from core.models import Blob, User
from core.storage import StoredBlob, blob_path
from deliverables.doc_numbers import next_revision
from templates_docs.hints import count_hints_in_file
from deliverables.filenames import clean_filename
from deliverables.models import Deliverable, Signoff, Version
from deliverables import text_index, version_hooks
from deliverables import workflow
from deliverables.signoff_state import refresh_deliverable
from deliverables.visibility import version_filter
from projects.permissions import may_upload, require

def next_number(d: Deliverable) -> int:
    """Reserve the next version number: an UPDATE first, so concurrent writers queue
    (a row lock on PostgreSQL, the write lock on SQLite); no gaps, no duplicates."""
    number = db.next_in_sequence(Deliverable.version_count, d.id)
    d.version_count = number
    return number


def add_version(user: User, d: Deliverable, blob: StoredBlob, filename: str, *, note: str = "",
                source: str = "upload", content_type: str | None = None) -> Version:
    """Record a stored blob as the next version of `d` (blob already fsynced on disk).

    The text is extracted first, in a bounded subprocess and before the first write of
    the transaction (the version number), so a hostile file never holds a database lock;
    it is stored in the transaction, so the version is searchable when this commits."""
    require(may_upload(user, d))
    s = db.session()
    filename = clean_filename(filename)
    extraction = text_index.prepare(blob_path(blob.sha256), filename)
    hints = count_hints_in_file(blob_path(blob.sha256), filename)  # read before the first write, too
    number = next_number(d)
    if s.get(Blob, blob.sha256) is None:
        s.add(Blob(sha256=blob.sha256, size=blob.size, created_at=now()))
    ctype = content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    revision = next_revision(d, number)  # after next_number: the deliverable's row is locked
    v = Version(deliverable_id=d.id, number=number, sha256=blob.sha256, size=blob.size, filename=filename,
                content_type=ctype[:200], note=note, source=source, uploaded_by_id=user.id, created_at=now(),
                revision=revision, hints=hints)
    s.add(v)
    s.flush()
    workflow.start(v, d)  # snapshot of the chain; waits at its first step
    refresh_deliverable(d)
    text_index.index(v, extraction)  # same transaction: searchable on 201
    version_hooks.version_added(v)  # e.g. the rendition promised in this transaction
    audit.record("version.upload" if source == "upload" else "version.draft", user, object_type="version",
                 object_id=v.id, project_code=d.project.code, deliverable_id=d.id, number=number,
                 filename=filename, sha256=blob.sha256, size=blob.size)
    return v


def list_versions(user: User, d: Deliverable) -> list[Version]:
    """Versions of `d` the user may see, newest first, with their sign-offs."""
    return list(db.session().scalars(select(Version).where(Version.deliverable_id == d.id, version_filter(user))
                                     .order_by(Version.number.desc())))


def signoffs_of(version_ids: Iterable[int]) -> dict[int, list[Signoff]]:
    out: dict[int, list[Signoff]] = {}
    ids = list(version_ids)
    if ids:
        for so in db.session().scalars(select(Signoff).where(Signoff.version_id.in_(ids)).order_by(Signoff.id)):
            out.setdefault(so.version_id, []).append(so)
    return out
