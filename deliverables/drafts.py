"""Generating a skeleton (DOCX or Markdown) as a new version of a deliverable."""
from __future__ import annotations

from catalog import get_catalog
from core.clock import local_tz, now
from core.errors import Forbidden, UserValueError
from core.models import User
from core.storage import store_bytes
from deliverables.models import Deliverable, Version
from deliverables.projects import members
from deliverables.versions import add_version, can_upload

FORMATS = ("docx", "md")
ROLE_ZH = {"admin": "系统管理员", "pm": "项目经理", "engineer": "实施工程师", "client": "甲方代表"}


def doc_facts(d: Deliverable, version_label: str, extra: dict | None = None):
    """The facts the system knows about `d`, for the renderers."""
    from templates_docs import DocFacts, Person
    project = d.project
    cat = get_catalog()
    people = tuple(Person(name=u.name, role=ROLE_ZH.get(u.role, u.role),
                          organisation=u.organisation or (project.client if u.role == "client" else project.vendor),
                          phone=u.phone, email=u.email) for u in members(project))
    name = cat.name_zh(d.document_key)
    if d.period:
        name = f"{name}（{d.title or d.period}）" if d.title and d.title != name else f"{name}（{d.period}）"
    return DocFacts(project_name=project.name, project_code=project.code, client=project.client,
                    vendor=project.vendor, document_key=d.document_key, document_name=name,
                    version_label=version_label, date=now().astimezone(local_tz()).date(), people=people,
                    extra=extra or {})


def generate_draft(user: User, d: Deliverable, fmt: str) -> Version:
    """Render the document's skeleton with the project's facts and store it as the next version."""
    from templates_docs import render_docx, render_markdown
    if fmt not in FORMATS:
        raise UserValueError(f"format must be one of: {', '.join(FORMATS)}.", "invalid_choice")
    if not can_upload(user):
        raise Forbidden("Only the vendor's pm, engineers or an admin may generate drafts.")
    from maintenance.reports import draft_extra
    from maintenance.sla_rules import level_table_rows
    # The service levels printed in documents come from the same data as the SLA clocks.
    extra = {"sla_levels": level_table_rows(), **draft_extra(d)}
    label = f"V{d.version_count + 1}.0"
    facts = doc_facts(d, label, extra)
    if fmt == "docx":
        data = render_docx(facts)
    else:
        data = render_markdown(facts).encode("utf-8")
    blob = store_bytes(data)
    filename = f"{d.project.code}-{facts.document_name}-{label}.{fmt}"
    ctype = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document" if fmt == "docx"
             else "text/markdown; charset=utf-8")
    return add_version(user, d, blob, filename, note=f"由模板生成的{fmt.upper()}初稿", source="draft",
                       content_type=ctype)
