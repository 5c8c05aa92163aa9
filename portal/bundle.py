"""The signed-off bundle: one folder per phase (Chinese names) + MANIFEST.csv, streamed."""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Iterator

from flask import Response, stream_with_context

from sqlalchemy import select
from zipstream import ZIP_STORED, ZipStream

from catalog import get_catalog
from core import audit, db
from core.models import User
from core.clock import iso
from core.spreadsheet_safe import csv_bytes
from core.storage import blob_path
from deliverables.filenames import clean_filename
from deliverables.labels import display_name
from deliverables.models import Deliverable, Signoff, Version
from projects.models import Project
from portal.download import content_disposition
from renditions import serve as renditions

log = logging.getLogger("handover.portal")


@dataclass
class BundleEntry:
    arcname: str
    version: Version
    deliverable: Deliverable
    signoffs: list[Signoff]
    copy_arcname: str | None = None  # its controlled copy (受控副本) beside it, when it has a rendition


def bundle_entries(project: Project) -> list[BundleEntry]:
    """The latest signed-off version of every signed-off deliverable, with unique, safe paths.

    A deliverable counts once any version of it was signed off: a newer version still in
    review does not take the signed one out of the client's hands."""
    s = db.session()
    cat = get_catalog()
    rows = s.execute(select(Deliverable, Version).join(Version, Version.id == Deliverable.latest_signed_version_id)
                     .where(Deliverable.project_id == project.id)
                     .order_by(Deliverable.position, Deliverable.period, Deliverable.id)).all()
    signoffs: dict[int, list[Signoff]] = {}
    if rows:
        for so in s.scalars(select(Signoff).where(Signoff.version_id.in_([v.id for _, v in rows]))
                            .order_by(Signoff.id)):
            signoffs.setdefault(so.version_id, []).append(so)
    used: set[str] = set()
    entries = []
    phase_order = [p.key for p in cat.phases]
    for d, v in rows:
        phase = cat.phase(d.phase)
        folder = f"{phase_order.index(d.phase) + 1:02d}-{phase.name_zh}"
        doc_name = clean_filename(d.title or cat.name_zh(d.document_key))
        base = clean_filename(f"{doc_name}{'-' + d.period if d.period else ''}-V{v.number}-{v.filename}")
        arc, n = f"{folder}/{base}", 2
        while arc.lower() in used:
            stem, dot, ext = base.rpartition(".")
            arc = f"{folder}/{stem or base}({n}){dot + ext if stem else ''}"
            n += 1
        used.add(arc.lower())
        entries.append(BundleEntry(arc, v, d, signoffs.get(v.id, [])))
    with_pdf = renditions.ready_shas({e.version.sha256 for e in entries})
    for e in entries:
        if e.version.sha256 in with_pdf:
            folder, _, base = e.arcname.rpartition("/")
            stem = base.rpartition(".")[0] or base
            arc, n = f"{folder}/{stem}-受控副本.pdf", 2
            while arc.lower() in used:
                arc = f"{folder}/{stem}-受控副本({n}).pdf"
                n += 1
            used.add(arc.lower())
            e.copy_arcname = arc
    return entries


def manifest_csv(project: Project, entries: list[BundleEntry], copies: dict[str, tuple[int, str]] | None = None
                 ) -> bytes:
    """MANIFEST.csv, UTF-8 with BOM so Excel opens it; formula-like cells (a signer named
    "=...") neutralised by core.spreadsheet_safe. `copies`: arcname -> (size, sha256) of the
    controlled copies written into the bundle, each listed after its original (kind)."""
    rows: list[list] = [["path", "document", "version", "size", "sha256", "signed_by", "signed_at", "doc_no",
                         "revision", "kind"]]
    for e in entries:
        approvals = [so for so in e.signoffs if so.decision == "approve"]
        signed_by = "; ".join(f"{so.signer_name} ({so.role} {so.meaning})" for so in approvals)
        signed_at = "; ".join(iso(so.created_at) for so in approvals)
        rows.append([e.arcname, display_name(e.deliverable), e.version.number, e.version.size, e.version.sha256, signed_by, signed_at,
                     e.deliverable.doc_no or "", e.version.revision, "original"])
        if copies and e.copy_arcname in copies:
            size, sha = copies[e.copy_arcname]
            rows.append([e.copy_arcname, display_name(e.deliverable), e.version.number, size, sha, signed_by,
                         signed_at, e.deliverable.doc_no or "", e.version.revision, "controlled_copy"])
    return csv_bytes(rows)


def stream_bundle(project: Project, entries: list[BundleEntry], user: User | None = None) -> Iterator[bytes]:
    """Yield the ZIP chunk by chunk; files are read from storage as they stream (flat memory).
    With `user`, each controlled copy is stamped for them when the stream reaches it (one PDF
    in memory at a time), and MANIFEST.csv, written last, lists it with its sha256."""
    zs = ZipStream(compress_type=ZIP_STORED, sized=False)
    copies: dict[str, tuple[int, str]] = {}

    def controlled_copy(e: BundleEntry) -> Iterator[bytes]:
        try:
            data = renditions.controlled_copy_bytes(user, e.version, e.deliverable, e.signoffs)
        except Exception:  # mid-stream: the bundle must still complete; this copy stays empty, unlisted
            log.exception("controlled copy of version %s failed in the bundle", e.version.id)
            return
        copies[e.copy_arcname] = (len(data), hashlib.sha256(data).hexdigest())
        yield data

    for e in entries:
        zs.add_path(str(blob_path(e.version.sha256)), arcname=e.arcname)
        if user is not None and e.copy_arcname:
            zs.add(controlled_copy(e), e.copy_arcname)
    zs.add((manifest_csv(project, entries, copies) for _ in range(1)), "MANIFEST.csv")
    yield from zs


def bundle_response(user: User, project: Project) -> Response:
    """The bundle as a streamed download, audited; the same for the API and the portal page."""
    entries = bundle_entries(project)
    audit.record("bundle.download", user, object_type="project", object_id=project.id, project_code=project.code,
                 files=len(entries), controlled_copies=sum(1 for e in entries if e.copy_arcname))
    db.session().commit()  # the stream outlives the request's commit point
    resp = Response(stream_with_context(stream_bundle(project, entries, user)), mimetype="application/zip")
    resp.headers["Content-Disposition"] = content_disposition(f"{project.code}-{project.name}-交付文档.zip")
    return resp
