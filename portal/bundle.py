"""The signed-off bundle: one folder per phase (Chinese names) + MANIFEST.csv, streamed."""
from __future__ import annotations

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


@dataclass
class BundleEntry:
    arcname: str
    version: Version
    deliverable: Deliverable
    signoffs: list[Signoff]


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
    return entries


def manifest_csv(project: Project, entries: list[BundleEntry]) -> bytes:
    """MANIFEST.csv, UTF-8 with BOM so Excel opens it; formula-like cells (a signer named
    "=...") neutralised by core.spreadsheet_safe."""
    rows: list[list] = [["path", "document", "version", "size", "sha256", "signed_by", "signed_at"]]
    for e in entries:
        approvals = [so for so in e.signoffs if so.decision == "approve"]
        signed_by = "; ".join(f"{so.signer_name} ({so.role} {so.meaning})" for so in approvals)
        signed_at = "; ".join(iso(so.created_at) for so in approvals)
        rows.append([e.arcname, display_name(e.deliverable), e.version.number, e.version.size, e.version.sha256, signed_by, signed_at])
    return csv_bytes(rows)


def stream_bundle(project: Project, entries: list[BundleEntry]) -> Iterator[bytes]:
    """Yield the ZIP chunk by chunk; files are read from storage as they stream (flat memory)."""
    zs = ZipStream(compress_type=ZIP_STORED, sized=False)
    for e in entries:
        zs.add_path(str(blob_path(e.version.sha256)), arcname=e.arcname)
    zs.add(manifest_csv(project, entries), "MANIFEST.csv")
    yield from zs


def bundle_response(user: User, project: Project) -> Response:
    """The bundle as a streamed download, audited; the same for the API and the portal page."""
    entries = bundle_entries(project)
    audit.record("bundle.download", user, object_type="project", object_id=project.id, project_code=project.code,
                 files=len(entries))
    db.session().commit()  # the stream outlives the request's commit point
    resp = Response(stream_with_context(stream_bundle(project, entries)), mimetype="application/zip")
    resp.headers["Content-Disposition"] = content_disposition(f"{project.code}-{project.name}-交付文档.zip")
    return resp
