"""Turn an engine's page of (version_id, score) into the API's hit dictionaries."""
from __future__ import annotations

from sqlalchemy import select

from catalog import get_catalog
from core import db
from core.clock import iso
from deliverables.models import Deliverable, Version
from projects.models import Project
from search.models import SearchText
from search.query_syntax import Query
from search.snippet import make_snippet


def hydrate(page: list[tuple[int, float]], parsed: Query) -> list[dict]:
    if not page:
        return []
    ids = [vid for vid, _ in page]
    s = db.session()
    rows = {v.id: (v, d, p) for v, d, p in s.execute(
        select(Version, Deliverable, Project).join(Deliverable, Deliverable.id == Version.deliverable_id)
        .join(Project, Project.id == Deliverable.project_id).where(Version.id.in_(ids)))}
    texts = {t.version_id: t for t in s.scalars(select(SearchText).where(SearchText.version_id.in_(ids)))}
    leaves = parsed.positive_leaves()
    cat = get_catalog()
    out = []
    for vid, score in page:
        if vid not in rows:
            continue
        v, d, p = rows[vid]
        item = cat.document(d.document_key) or cat.record(d.document_key)
        t = texts.get(vid)
        out.append({
            "deliverable_id": d.id, "version_id": v.id, "project": p.code, "doc_no": d.doc_no,
            "revision": v.revision, "document_key": d.document_key,
            "name_zh": item.name_zh if item else d.title, "snippet": make_snippet(t.body if t else "",
                                                                                  t.name if t else v.filename, leaves),
            "version": v.number, "filename": v.filename, "phase": d.phase, "status": d.status,
            "period": d.period or None, "created_at": iso(v.created_at), "signed_off": v.signed_off_at is not None,
            "latest": v.id == d.latest_version_id, "score": round(float(score), 4),
        })
    return out
