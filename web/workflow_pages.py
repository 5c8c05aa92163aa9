"""A project's sign-off workflow (签署流程) page: the ordered steps and per-document overrides.

For who projects.permissions.may_manage_workflow allows (admin, a pm of the project). Each form
on the page edits one chain (the project's, or one document's override) and saves the whole
workflow through deliverables.workflow.parse_workflow/set_workflow, the same as
PUT /api/projects/<code>/workflow; an invalid chain comes back through the one error path
(web.form_errors) with its message in the user's language and the form refilled. A change
applies to versions uploaded afterwards (versions in flight keep the chain they started with).

Form fields of a chain (short names: kept values travel in the session cookie): per row i,
o{i} order, k{i} key, n{i} 名称, r{i} role, q{i} quorum, u{i} named usernames, d{i} due working
days. A row without key and name is left out; a row with a name but no key gets one (审核 →
review, 确认 → confirm, ... or step<N>).
"""
from __future__ import annotations

import re

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from catalog import get_catalog
from core import db
from core.errors import UserValueError
from deliverables import workflow
from deliverables.labels import display_name
from deliverables.models import Deliverable, Version
from projects import access, permissions
from projects.membership import members
from web.blueprint import bp
from web.form_errors import returns_to
from web.home_tasks import role_label, step_name
from web.i18n import current_lang, gettext as _

EXTRA_ROWS = 2
KNOWN_KEYS = {"编制": "prepare", "校对": "check", "审核": "review", "审定": "verify", "批准": "approve",
              "确认": "confirm", "会签": "countersign"}
USER_SPLIT = re.compile(r"[\s,，、;；]+")


def step_choices(project_id: int, current: str | None = None) -> list[tuple[str, str]]:
    """(key, name_zh) of the steps a register can be filtered by: the project's chains and the
    steps versions wait at now (an older chain), in chain order; two queries."""
    base, docs = workflow.project_workflow(project_id)
    seen: dict[str, str] = {}
    for chain in (base, *docs.values()):
        for st in chain:
            seen.setdefault(st.key, st.name_zh)
    for key, name in db.session().execute(
            select(Version.step_key, Version.step_name).join(Deliverable, Deliverable.latest_version_id == Version.id)
            .where(Deliverable.project_id == project_id, Version.step_index.is_not(None)).distinct()):
        seen.setdefault(key, name)
    if current and current not in seen and current not in seen.values():
        seen[current] = current
    return list(seen.items())


def _project(code: str):
    user = g.user
    project = access.get_project(user, code)
    permissions.require(permissions.may_manage_workflow(user, project))
    return user, project


def _page(code: str, anchor: str | None = None) -> str:
    return url_for("web.workflow_page", code=code, _anchor=anchor)


@bp.get("/projects/<code>/workflow")
def workflow_page(code):
    """The workflow of the project: one form per chain, and adding a document override."""
    user, project = _project(code)
    body = workflow.workflow_json(project.id)
    cat = get_catalog()
    lang = current_lang()
    doc_names = {}
    for d in db.session().scalars(select(Deliverable).where(Deliverable.project_id == project.id,
                                                           Deliverable.kind == "document")
                                  .order_by(Deliverable.position)):
        doc_names.setdefault(d.document_key, display_name(d, lang))
    for key in body["documents"]:
        if key not in doc_names:
            doc = cat.document(key)
            doc_names[key] = (doc.name_en if lang == "en" and getattr(doc, "name_en", None) else doc.name_zh) if doc else key
    people = {}
    for u in members(project):
        if u.active:
            people.setdefault(u.role, []).append(u)
    chains = [("", _("项目默认流程"), body["steps"])] + [(k, doc_names.get(k, k), v) for k, v in body["documents"].items()]
    return render_template("workflow.html", project=project, chains=chains, doc_names=doc_names,
                           roles=workflow.STEP_ROLES, quorums=workflow.QUORUMS, people=people,
                           extra=EXTRA_ROWS, max_steps=workflow.MAX_STEPS, max_due=workflow.MAX_DUE_DAYS,
                           role_label=role_label, step_name=step_name,
                           free_docs=[(k, n) for k, n in doc_names.items() if k not in body["documents"]])


def _rows_from_form() -> list[dict]:
    """The steps of the posted chain in the order typed (o{i}; ties keep the row order)."""
    f = request.form
    rows = []
    for i in range(workflow.MAX_STEPS + EXTRA_ROWS):
        key, name = (f.get(f"k{i}") or "").strip(), (f.get(f"n{i}") or "").strip()
        if not key and not name:
            continue
        step: dict = {"key": key, "name_zh": name or key, "role": f.get(f"r{i}") or "",
                      "quorum": f.get(f"q{i}") or "any"}
        users = [u for u in USER_SPLIT.split(f.get(f"u{i}") or "") if u]
        if users:
            step["users"] = users
        due = (f.get(f"d{i}") or "").strip()
        if due:
            step["due_days"] = int(due) if due.isdecimal() and len(due) < 6 else due  # else: refused by parse_steps
        order = (f.get(f"o{i}") or "").strip()
        rows.append((int(order) if order.isdecimal() and len(order) < 4 else 999, i, step))
    steps = [s for _o, _i, s in sorted(rows, key=lambda r: (r[0], r[1]))]
    used = {s["key"] for s in steps if s["key"]}
    for n, s in enumerate(steps, 1):
        if not s["key"]:  # a name without a key: a key the API would accept
            key = KNOWN_KEYS.get(s["name_zh"]) or f"step{n}"
            while key in used:
                key += "x"
            s["key"] = key
            used.add(key)
    return steps


@bp.post("/projects/<code>/workflow")
def workflow_save(code):
    """Save one chain (doc = "" for the project's, or a document key), add a document override
    (a copy of the project's chain) or remove one; the whole workflow is validated and stored."""
    user, project = _project(code)
    doc = request.form.get("doc") or ""
    action = request.form.get("action") or "save"
    returns_to(_page(code, f"chain-{doc or 'project'}"))
    body = workflow.workflow_json(project.id)
    cat = get_catalog()
    if doc and cat.document(doc) is None:
        raise UserValueError(f"'{doc}' is not a document of the catalog.", "workflow_bad_document", key=doc)
    if action == "add":
        body["documents"].setdefault(doc, [dict(s) for s in body["steps"]])
    elif action == "remove":
        body["documents"].pop(doc, None)
    elif action == "save":
        steps = _rows_from_form()
        if doc:
            body["documents"][doc] = steps
        else:
            body["steps"] = steps
    else:
        raise UserValueError("Unknown action.", "invalid_choice")
    steps, documents = workflow.parse_workflow(body, project.id)
    workflow.set_workflow(user, project, steps, documents)
    flash(_("签署流程已保存。此后上传的版本按新流程签署，已在签署中的版本不受影响。"), "ok")
    return redirect(_page(code, f"chain-{doc or 'project'}" if action != "remove" else None))
