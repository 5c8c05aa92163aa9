"""Completeness of a project's required documents, phase by phase.

Pure functions over (project_id, phase, document_key, status) rows, fetched for any
number of projects with one query (see `fetch_rows`), so a portfolio costs the same
number of SQL statements as one project.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable, NamedTuple

from sqlalchemy import func, select

from catalog import get_catalog
from core import db
from core.clock import iso
from core.roles import CLIENT
from deliverables import workflow
from deliverables.models import Deliverable
from projects.models import Project


class Row(NamedTuple):
    project_id: int
    phase: str
    document_key: str
    status: str
    position: int


def fetch_rows(project_ids: Iterable[int] | None = None, project_filter=None) -> list[Row]:
    """One query for the document deliverables of the given projects (ids or an SQL filter)."""
    q = (select(Deliverable.project_id, Deliverable.phase, Deliverable.document_key, Deliverable.status,
                Deliverable.position).where(Deliverable.kind == "document"))
    if project_ids is not None:
        q = q.where(Deliverable.project_id.in_(list(project_ids)))
    if project_filter is not None:
        q = q.join(Project, Project.id == Deliverable.project_id).where(project_filter)
    return [Row(*r) for r in db.session().execute(q.order_by(Deliverable.project_id, Deliverable.position))]


def percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def completeness(rows: Iterable[Row]) -> dict:
    """{"total", "signed_off", "with_version", "percent", "phases": [...]} for one project's rows."""
    by_phase: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        by_phase[r.phase].append(r)
    phases = []
    for p in get_catalog().phases:
        items = by_phase.get(p.key, [])
        counts = defaultdict(int)
        for r in items:
            counts[r.status] += 1
        phases.append({
            "key": p.key, "name_zh": p.name_zh, "name_en": p.name_en,
            "total": len(items),
            "with_version": len(items) - counts["missing"],
            "signed_off": counts["signed_off"],
            "in_review": counts["in_review"], "rejected": counts["rejected"], "draft": counts["draft"],
            "percent": percent(counts["signed_off"], len(items)),
            "missing": [r.document_key for r in items if r.status == "missing"],
        })
    total = sum(p["total"] for p in phases)
    signed = sum(p["signed_off"] for p in phases)
    return {"total": total, "signed_off": signed, "with_version": sum(p["with_version"] for p in phases),
            "percent": percent(signed, total), "phases": phases}


def portfolio(rows: Iterable[Row]) -> dict[int, dict]:
    """Completeness per project id."""
    grouped: dict[int, list[Row]] = defaultdict(list)
    for r in rows:
        grouped[r.project_id].append(r)
    return {pid: completeness(rs) for pid, rs in grouped.items()}


def waiting_per_phase(user, project_id: int) -> dict[str, list[dict]]:
    """Per phase key: the documents whose latest version waits at a workflow step, with the
    step and who may act (deliverables.workflow.waiting_by_deliverable). A client is shown only
    what waits at a client step (the vendor's own steps are not hers to follow)."""
    waiting = workflow.waiting_by_deliverable([project_id])
    if not waiting:
        return {}
    docs = db.session().execute(select(Deliverable.id, Deliverable.phase, Deliverable.document_key)
                                .where(Deliverable.id.in_(list(waiting)), Deliverable.kind == "document")
                                .order_by(Deliverable.position))
    out: dict[str, list[dict]] = defaultdict(list)
    for did, phase, key in docs:
        w = waiting[did]
        if user.role == CLIENT and w.role != CLIENT:
            continue
        out[phase].append({"document_key": key, "deliverable_id": did, "step": w.step, "name_zh": w.name_zh,
                           "role": w.role, "users": w.users, "due_at": iso(w.due_at)})
    return out


def totals_by_project(project_ids) -> dict[int, dict]:
    """{project id: {"total", "signed_off", "percent", "missing": {phase key: documents without
    a version}}}: the figures of `completeness` counted in SQL (one grouped query, a few rows per
    project), for a portfolio of hundreds of projects. `project_ids`: a list or a select of ids.
    Projects without documents are left out."""
    out: dict[int, dict] = {}
    q = (select(Deliverable.project_id, Deliverable.phase, Deliverable.status, func.count())
         .where(Deliverable.kind == "document", Deliverable.project_id.in_(project_ids))
         .group_by(Deliverable.project_id, Deliverable.phase, Deliverable.status))
    for pid, phase, status, n in db.session().execute(q):
        t = out.setdefault(pid, {"total": 0, "signed_off": 0, "missing": {}})
        t["total"] += n
        if status == "signed_off":
            t["signed_off"] += n
        elif status == "missing":
            t["missing"][phase] = t["missing"].get(phase, 0) + n
    for t in out.values():
        t["percent"] = percent(t["signed_off"], t["total"])
    return out
