"""Turning rows into the JSON shapes of shared/API.md (one place per shape)."""
from __future__ import annotations

import search
from catalog import get_catalog
from core.clock import iso
from core.models import User
from deliverables.models import Deliverable, Signoff, Version
from deliverables.workflow import Waiting, step_json
from projects.models import Project


def project_json(p: Project) -> dict:
    return {"code": p.code, "name": p.name, "client": p.client, "vendor": p.vendor, "description": p.description,
            "start_date": p.start_date.isoformat() if p.start_date else None,
            "warranty_until": p.warranty_until.isoformat() if p.warranty_until else None,
            "maintenance_start": p.maintenance_start.isoformat() if p.maintenance_start else None,
            "created_at": iso(p.created_at)}


def signoff_json(so: Signoff) -> dict:
    return {"id": so.id, "signer": so.signer_name, "role": so.role, "decision": so.decision,
            "meaning": so.meaning, "step": so.step or None, "comment": so.comment, "at": iso(so.created_at),
            "version_id": so.version_id, "sha256": so.sha256}


def version_json(v: Version, signoffs: list[Signoff] | None = None,
                 text_states: dict[int, tuple[str, str]] | None = None) -> dict:
    """A version; `text_states` (search.text_states of several versions, read at once) saves
    the query for its text's state."""
    out = {"id": v.id, "number": v.number, "filename": v.filename, "size": v.size, "sha256": v.sha256,
           "content_type": v.content_type, "note": v.note, "source": v.source, "revision": v.revision, "hints": v.hints,
           "uploaded_by": v.uploaded_by.name if v.uploaded_by else None,
           "created_at": iso(v.created_at), "signed_off_at": iso(v.signed_off_at), "step": step_json(v),
           "step_due_at": iso(v.step_due_at)}
    states = text_states if text_states is not None else search.text_states([v.id])
    status, error = states.get(v.id, (None, ""))
    out["text_status"], out["text_error"] = status, (error or None)
    if signoffs is not None:
        out["signoffs"] = [signoff_json(s) for s in signoffs]
    return out


def upload_json(v: Version, same: Version | None, text_states: dict[int, tuple[str, str]] | None = None) -> dict:
    """The answer to an upload: the new version, and `same_content_as` naming the newest
    earlier version of its deliverable with the same bytes (or null)."""
    out = version_json(v, [], text_states)
    out["same_content_as"] = {"id": same.id, "number": same.number} if same is not None else None
    return out


def waiting_json(w: Waiting | None) -> dict | None:
    """Where a deliverable's latest version waits: step, who may act, due time (or None)."""
    if w is None:
        return None
    return {"step": w.step, "name_zh": w.name_zh, "role": w.role, "users": w.users, "due_at": iso(w.due_at),
            "since": iso(w.since)}


def deliverable_json(d: Deliverable, latest: Version | None, project_code: str | None = None,
                     waiting: Waiting | None = None) -> dict:
    """A deliverable; `waiting` (deliverables.workflow.waiting_of) of its latest version when
    that version waits at a step (the caller sees it as `latest`)."""
    cat = get_catalog()
    item = cat.document(d.document_key) or cat.record(d.document_key)
    return {"id": d.id, "project": project_code, "doc_no": d.doc_no, "document_key": d.document_key,
            "name_zh": item.name_zh if item else d.title, "name_en": item.name_en if item else "",
            "phase": d.phase, "kind": d.kind, "period": d.period or None, "title": d.title,
            "status": d.status, "due_at": iso(d.due_at),
            "latest_version": version_json(latest) if latest else None,
            "waiting": waiting_json(waiting) if latest is not None and d.latest_version_id == latest.id else None}


def user_json(u: User) -> dict:
    return {"username": u.username, "display_name": u.display_name, "role": u.role, "organisation": u.organisation,
            "email": u.email, "phone": u.phone, "active": u.active}
