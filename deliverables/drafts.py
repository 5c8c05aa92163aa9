"""Generating a skeleton (DOCX or Markdown) as a new version of a deliverable."""
from __future__ import annotations

from core.clock import local_tz, now
from core.errors import UserValueError
from core.labels import role_label
from core.models import User
from core.storage import store_bytes
from deliverables.doc_control import control_facts
from deliverables.doc_numbers import next_revision
from deliverables.draft_facts import extra_facts
from deliverables.draft_hooks import finish_docx
from deliverables.labels import DRAFT_NOTE, display_name
from deliverables.models import Deliverable, Version
from deliverables.versions import add_version
from projects.membership import members
from projects.permissions import may_generate_draft, require
from templates_docs import DocFacts, Person, render_docx, render_markdown

FORMATS = ("docx", "md")


def doc_facts(d: Deliverable, version_label: str, extra: dict | None = None, control: dict | None = None):
    """The facts the system knows about `d`, for the renderers (`control`: doc_control.control_facts)."""
    project = d.project
    people = tuple(Person(name=u.name, role=role_label(u.role),
                          organisation=u.organisation or (project.client if u.role == "client" else project.vendor),
                          phone=u.phone, email=u.email) for u in members(project))
    name = display_name(d)
    return DocFacts(project_name=project.name, project_code=project.code, client=project.client,
                    vendor=project.vendor, document_key=d.document_key, document_name=name,
                    version_label=version_label, date=now().astimezone(local_tz()).date(), people=people,
                    extra=extra or {}, **(control or {"doc_no": d.doc_no or ""}))


def generate_draft(user: User, d: Deliverable, fmt: str) -> Version:
    """Render the document's skeleton with the project's facts and store it as the next version."""
    if fmt not in FORMATS:
        raise UserValueError(f"format must be one of: {', '.join(FORMATS)}.", "invalid_choice")
    require(may_generate_draft(user, d))
    extra = extra_facts(d)
    label = next_revision(d)
    note = DRAFT_NOTE.format(fmt=fmt.upper())
    control = control_facts(d, label, user.name, note, now())
    facts = doc_facts(d, label, extra, control)
    if fmt == "docx":
        data = finish_docx(render_docx(facts), facts.date)  # the 目录's pages (renditions/toc.py)
    else:
        data = render_markdown(facts).encode("utf-8")
    blob = store_bytes(data)
    filename = f"{d.project.code}-{facts.document_name}-{label}.{fmt}"
    ctype = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document" if fmt == "docx"
             else "text/markdown; charset=utf-8")
    return add_version(user, d, blob, filename, note=note, source="draft",
                       content_type=ctype)
