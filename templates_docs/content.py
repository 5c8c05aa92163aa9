"""Content shared by the DOCX and Markdown renderers: filled table rows and front matter."""

from __future__ import annotations

import datetime
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
    width = len(table.header)
    if source:
        rows = []
        for item in source:
            if isinstance(item, Mapping):
                row = [_cell(item.get(c, "")) for c in table.header]
            else:
                row = [_cell(v) for v in list(item)[:width]]
                row += [""] * (width - len(row))
            rows.append(row)
        return rows
    rows = [[substitute(c, ctx, "") for c in r] + [""] * (width - len(r)) for r in table.rows]
    rows += [[""] * width for _ in range(table.blank_rows)]
    return rows


def table_header(table: TableSpec, facts: DocFacts) -> tuple[str, ...]:
    """The header row as printed: a week grid's day columns get their dates when
    ``facts.extra["week_start"]`` (ISO date of the Monday) is known."""
    header = table.header
    start = facts.extra.get("week_start") if table.days else None
    if not start:
        return header
    monday = datetime.date.fromisoformat(str(start))
    n = len(table.columns)
    days = [f"{d}\n{(monday + datetime.timedelta(days=i)).strftime('%m-%d')}"
            for i, d in enumerate(header[n:])]
    return tuple(header[:n]) + tuple(days)


def signatories(facts: DocFacts) -> dict[str, str]:
    """Names for 编制 / 审核 / 批准 (empty when nobody fits)."""
    author = facts.extra.get("author") or ""
    if not author:
        p = find_person(facts, "编制", "项目经理", "项目负责人")
        author = p.name if p else ""
    reviewer = find_person(facts, "审核", "技术负责人", "质量")
    approver = find_person(facts, "批准", "项目总监", "总经理", "部门经理")
    names = {
        "编制": str(author),
        "审核": str(facts.extra.get("reviewer") or (reviewer.name if reviewer else "")),
        "批准": str(facts.extra.get("approver") or (approver.name if approver else "")),
    }
    if facts.approvals or facts.signers:  # the register knows: no guessing from roles
        names = {k: str(facts.signers.get(k, "")) for k in names}
    return names


def cover_fields(facts: DocFacts) -> list[tuple[str, str]]:
    """Label / value pairs of the cover."""
    names = signatories(facts)
    return [
        ("建设单位", facts.client),
        ("项目编号", facts.project_code),
        ("文档编号", facts.number),
        ("版 本 号", facts.version_label),
        ("密    级", str(facts.extra.get("classification", "内部"))),
        ("编    制", names["编制"]),
        ("审    核", names["审核"]),
        ("批    准", names["批准"]),
    ]


def revision_rows(facts: DocFacts) -> list[list[str]]:
    """修订记录: the register's versions (``facts.revisions``); without them the current
    version, then empty lines for later revisions."""
    if facts.revisions:
        return [list(r) for r in facts.revisions]
    names = signatories(facts)
    first = [facts.version_label, facts.date.isoformat(), names["编制"], "创建文档", names["审核"]]
    return [first] + [[""] * len(REVISION_COLUMNS) for _ in range(3)]


def approval_rows(facts: DocFacts) -> list[list[str]]:
    """审批: 编制, then the workflow's steps with their signers (``facts.approvals``); without
    them the vendor's 编制 / 审核 / 批准 and the client's confirmation."""
    names = signatories(facts)
    if facts.approvals:
        rows = [["编制", facts.vendor, names["编制"], "", ""]]
        for step, client_side, signer, day in facts.approvals:
            rows.append([step, facts.client if client_side else facts.vendor, signer, "", day])
        return rows
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
        "document_number": facts.number,
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




GBT_8567 = ("GB/T 8567-2006", "计算机软件文档编制规范")
CITING_SECTIONS = ("引用文件", "参考资料")


def cited_standard(outline: Outline, section) -> str:
    """The citation of GB/T 8567-2006 for the 引用文件 / 参考资料 section of an outline that
    follows it (its ``basis`` names it); empty otherwise."""
    if GBT_8567[0] in outline.basis and section.title in CITING_SECTIONS:
        return f"{GBT_8567[0]}《{GBT_8567[1]}》"
    return ""


def with_citation(table: TableSpec, rows: list[list[str]], outline: Outline) -> list[list[str]]:
    """``rows`` of a 引用文件 table with GB/T 8567-2006 listed (in the first empty row)."""
    cols = list(table.columns)
    if "文件名称" not in cols:
        return rows
    cells = {"文件名称": GBT_8567[1], "文件编号": GBT_8567[0], "标准编号": GBT_8567[0],
             "版本/日期": "2006", "来源": "国家标准"}
    filled = [r for r in rows if any(r)]
    row = [cells.get(c, "") for c in cols]
    if "序号" in cols:
        row[cols.index("序号")] = str(len(filled) + 1)
    blank = [r for r in rows if not any(r)]
    return filled + [row] + blank[1:]
