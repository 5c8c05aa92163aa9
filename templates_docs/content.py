"""Content shared by the DOCX and Markdown renderers: filled table rows and front matter."""

from __future__ import annotations

from typing import Any, Mapping

from .facts import DocFacts, document_number, find_person, people_rows, substitute
from .outline import Outline, TableSpec

REVISION_COLUMNS = ("版本", "日期", "修订人", "修订内容", "审核人")
APPROVAL_COLUMNS = ("角色", "单位", "姓名", "签字", "日期")
SIGNATURE_COLUMNS = ("签署方", "单位名称", "盖章", "代表签字", "日期")
SIGNATURE_CAPTION = "签字确认"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return str(value)


def builtin_sources(facts: DocFacts) -> dict[str, Any]:
    """Fill sources the renderer knows without ``facts.extra``."""
    return {"people": people_rows(facts)}


def table_rows(table: TableSpec, facts: DocFacts, ctx: Mapping[str, str]) -> list[list[str]]:
    """Body rows of ``table`` (header excluded), filled from ``facts.extra`` where declared.

    Grid tables: ``facts.extra[fill]`` (or a built-in source such as ``people``) is a list of
    lists (cells in column order) or dicts (keyed by column heading); without data the outline's
    example rows and ``blank_rows`` empty rows are used.
    Form tables: ``facts.extra[fill]`` is a dict keyed by field name; the outline's rows
    (``[field, value]``) give defaults.
    """
    source = None
    if table.fill:
        source = facts.extra.get(table.fill)
        if source is None:
            source = builtin_sources(facts).get(table.fill)
    if table.is_form:
        values = source if isinstance(source, Mapping) else {}
        defaults = {r[0]: substitute(r[1], ctx, "") for r in table.rows}
        return [[f, _cell(values.get(f, defaults.get(f, "")))] for f in table.fields]
    width = len(table.columns)
    if source:
        rows = []
        for item in source:
            if isinstance(item, Mapping):
                row = [_cell(item.get(c, "")) for c in table.columns]
            else:
                row = [_cell(v) for v in list(item)[:width]]
                row += [""] * (width - len(row))
            rows.append(row)
        return rows
    rows = [[substitute(c, ctx, "") for c in r] for r in table.rows]
    rows += [[""] * width for _ in range(table.blank_rows)]
    return rows


def signatories(facts: DocFacts) -> dict[str, str]:
    """Names for 编制 / 审核 / 批准 (empty when nobody fits)."""
    author = facts.extra.get("author") or ""
    if not author:
        p = find_person(facts, "编制", "项目经理", "项目负责人")
        author = p.name if p else ""
    reviewer = find_person(facts, "审核", "技术负责人", "质量")
    approver = find_person(facts, "批准", "项目总监", "总经理", "部门经理")
    return {
        "编制": str(author),
        "审核": str(facts.extra.get("reviewer") or (reviewer.name if reviewer else "")),
        "批准": str(facts.extra.get("approver") or (approver.name if approver else "")),
    }


def cover_fields(facts: DocFacts) -> list[tuple[str, str]]:
    """Label / value pairs of the cover."""
    names = signatories(facts)
    return [
        ("文档编号", document_number(facts.project_code, facts.document_key, facts.version_label)),
        ("版 本 号", facts.version_label),
        ("密    级", str(facts.extra.get("classification", "内部"))),
        ("编    制", names["编制"]),
        ("审    核", names["审核"]),
        ("批    准", names["批准"]),
    ]


def revision_rows(facts: DocFacts) -> list[list[str]]:
    """修订记录: the current version first, then empty lines for later revisions."""
    names = signatories(facts)
    first = [facts.version_label, facts.date.isoformat(), names["编制"], "创建文档", names["审核"]]
    return [first] + [[""] * len(REVISION_COLUMNS) for _ in range(3)]


def approval_rows(facts: DocFacts) -> list[list[str]]:
    """审批: vendor's 编制 / 审核 / 批准 and the client's confirmation."""
    names = signatories(facts)
    client_rep = next((p.name for p in facts.people if p.organisation and p.organisation == facts.client), "")
    return [
        ["编制", facts.vendor, names["编制"], "", ""],
        ["审核", facts.vendor, names["审核"], "", ""],
        ["批准", facts.vendor, names["批准"], "", ""],
        ["甲方确认", facts.client, client_rep, "", ""],
    ]


def signature_rows(facts: DocFacts) -> list[list[str]]:
    """The 甲方 / 乙方 (/ 监理) signature table of form-type documents."""
    rows = [["甲方", facts.client, "", "", "    年  月  日"],
            ["乙方", facts.vendor, "", "", "    年  月  日"]]
    supervisor = facts.extra.get("supervisor")
    if supervisor:
        rows.append(["监理", str(supervisor), "", "", "    年  月  日"])
    return rows


def front_matter(facts: DocFacts, outline: Outline) -> dict[str, str]:
    """Flat project facts for the Markdown front matter."""
    people = "；".join(f"{p.name}（{p.role}）" for p in facts.people)
    data = {
        "title": facts.document_name,
        "project_name": facts.project_name,
        "project_code": facts.project_code,
        "client": facts.client,
        "vendor": facts.vendor,
        "document_key": facts.document_key,
        "document_number": document_number(facts.project_code, facts.document_key, facts.version_label),
        "version": facts.version_label,
        "date": facts.date.isoformat(),
        "profile": outline.profile,
        "lang": "zh-CN",
    }
    if outline.basis:
        data["basis"] = outline.basis
    if people:
        data["people"] = people
    return data


