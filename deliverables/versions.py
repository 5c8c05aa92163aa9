"""Operations on versions: upload (streamed), generated drafts, numbering."""
from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value

from core import audit, db
from core.clock import now
from core.models import Blob, User
from core.storage import StoredBlob, blob_path
from deliverables.doc_numbers import revision_label
from templates_docs.hints import count_hints_in_file
from deliverables.filenames import clean_filename
from deliverables.models import Deliverable, Signoff, Version
from deliverables import text_index, version_hooks
from deliverables import workflow
from deliverables.signoff_state import deliverable_status
from deliverables.visibility import version_filter
from projects.permissions import may_upload, require

def next_number(d: Deliverable) -> int:
    """Reserve the next version number: an UPDATE first, so concurrent writers queue
    (a row lock on PostgreSQL, the write lock on SQLite); no gaps, no duplicates."""
    return reserve_numbers(d, 1)


def reserve_numbers(d: Deliverable, count: int) -> int:
    """Reserve the next `count` version numbers of `d` in one UPDATE (which takes the row's
    lock, as next_number says); returns the last one (the first is last - count + 1). The
    row's latest_signed_version_id, read under that lock, is set on `d` too (_prior_signed)."""
    t = Deliverable.__table__
    last, signed = db.session().execute(
        t.update().where(t.c.id == d.id).values(version_count=t.c.version_count + count)
        .returning(t.c.version_count, t.c.latest_signed_version_id)).one()
    set_committed_value(d, "version_count", last)  # what the row holds now: nothing left to write
    set_committed_value(d, "latest_signed_version_id", signed)
    return last


@dataclass
class NewVersion:
    """One version to add (add_versions): a stored blob (fsynced) and what it is."""
    deliverable: Deliverable
    blob: StoredBlob
    filename: str
    note: str = ""
    source: str = "upload"
    content_type: str | None = None


def add_version(user: User, d: Deliverable, blob: StoredBlob, filename: str, *, note: str = "",
                source: str = "upload", content_type: str | None = None) -> Version:
    """Record a stored blob as the next version of `d` (blob already fsynced on disk).

    The text is extracted first, in a bounded subprocess and before the first write of
    the transaction (the version number), so a hostile file never holds a database lock;
    it is stored in the transaction, so the version is searchable when this commits."""
    return add_versions(user, [NewVersion(d, blob, filename, note, source, content_type)])[0]


def add_versions(user: User, items: list[NewVersion]) -> list[Version]:
    """Record stored blobs as new versions, in the order given (per deliverable: the numbers
    follow it), in the caller's transaction: what add_version does for one, with a constant
    number of statements per deliverable rather than per version (the bulk import's batches).

    Reads first (permission, text extraction, 填写说明 count), then the first write reserves
    the numbers, deliverable by deliverable in id order (concurrent batches lock rows in one
    order). Per version, as for an upload: the chain's snapshot and its first step (only the
    newest of each deliverable waits; the earlier ones of the batch are superseded at once),
    the search text, the hooks (a rendition promised), an audit entry; each deliverable's
    derived columns follow its newest version."""
    if not items:
        return []
    s = db.session()
    for d in {it.deliverable.id: it.deliverable for it in items}.values():
        require(may_upload(user, d))
    names = [clean_filename(it.filename) for it in items]
    extractions = [text_index.prepare(blob_path(it.blob.sha256), name) for it, name in zip(items, names)]
    hints = [count_hints_in_file(blob_path(it.blob.sha256), name) for it, name in zip(items, names)]
    by_d: dict[int, list[int]] = {}
    for i, it in enumerate(items):
        by_d.setdefault(it.deliverable.id, []).append(i)
    numbers: dict[int, int] = {}
    for did in sorted(by_d):  # the first write: the numbers (row locks, always in id order)
        ids = by_d[did]
        last = reserve_numbers(items[ids[0]].deliverable, len(ids))
        numbers.update({i: last - len(ids) + 1 + k for k, i in enumerate(ids)})
    _insert_blobs({it.blob.sha256: it.blob.size for it in items})
    chains = workflow.chains_for(it.deliverable for it in items)
    at = now()
    versions: list[Version | None] = [None] * len(items)
    newest = []
    for did, ids in by_d.items():
        d = items[ids[0]].deliverable
        prior = _prior_signed(d, numbers[ids[0]])  # after the numbers: the row is locked
        for k, i in enumerate(ids):
            it = items[i]
            ctype = it.content_type or mimetypes.guess_type(names[i])[0] or "application/octet-stream"
            v = Version(deliverable_id=d.id, number=numbers[i], sha256=it.blob.sha256, size=it.blob.size,
                        filename=names[i], content_type=ctype[:200], note=it.note, source=it.source,
                        uploaded_by_id=user.id, created_at=at, revision=revision_label(prior + [False] * k),
                        hints=hints[i])
            v.deliverable, v.uploaded_by = d, user
            workflow.begin(v, chains[did], at, newest=k == len(ids) - 1)
            versions[i] = v
        newest.append(versions[ids[-1]])
    s.add_all(versions)
    s.flush()  # the INSERTs, chain and step already in them (multi-row where the driver allows: PostgreSQL)
    for v in newest:  # the newest version has no sign-off yet: the deliverable's status rule says which
        v.deliverable.status = deliverable_status([], v.signed_off_at is not None)
        v.deliverable.latest_version_id = v.id
    workflow.started(newest, at)
    text_index.index_many(list(zip(versions, extractions)))  # same transaction: searchable on 201
    version_hooks.versions_added(versions)  # e.g. their renditions promised in this transaction
    audit.record_many([audit.Pending("version.upload" if v.source == "upload" else "version.draft", user,
                                     "version", v.id, v.deliverable.project.code,
                                     dict(deliverable_id=v.deliverable_id, number=v.number, filename=v.filename,
                                          sha256=v.sha256, size=v.size)) for v in versions])
    return versions


def _insert_blobs(sizes: dict[str, int]) -> None:
    """The Blob rows of these (fsynced) blobs, those not there yet, in one statement."""
    s = db.session()
    insert = postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
    at = now()
    s.execute(insert(Blob).values([{"sha256": sha, "size": size, "created_at": at} for sha, size in sizes.items()])
              .on_conflict_do_nothing(index_elements=["sha256"]))


def _prior_signed(d: Deliverable, before_number: int) -> list[bool]:
    """Oldest first, whether each version of `d` before `before_number` was signed off (what
    the revision label counts: doc_numbers.revision_label). Called after reserve_numbers, whose
    UPDATE read the row's latest_signed_version_id under its lock: when no version of `d` was
    ever signed off (an import, a draft being revised) the answer needs no query, since
    versions are numbered 1, 2, ... without gaps and never deleted."""
    if d.latest_signed_version_id is None:
        return [False] * (before_number - 1)
    return [at is not None for at in db.session().scalars(
        select(Version.signed_off_at).where(Version.deliverable_id == d.id, Version.number < before_number)
        .order_by(Version.number))]


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
