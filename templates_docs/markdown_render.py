"""``render_markdown``: the same outline and tables as the DOCX, as Markdown.

The front matter is flat ``key: value`` YAML between ``---`` lines, so it parses with
``yaml.safe_load`` and the ``markdown`` package's ``meta`` extension strips it; tables are pipe
tables for the ``tables`` extension. Body headings start at ``##`` (``#`` is the title).
"""

from __future__ import annotations

import yaml

from . import content
from .facts import TO_FILL, DocFacts, context, date_zh, document_number, substitute
from .numbering import headings
from .outline import load_outline

HEADING_OFFSET = 1  # body level 1 -> "##"


def _escape(cell: str) -> str:
    text = cell.replace("\\", "\\\\").replace("|", "\\|").replace("\r", "")
    return text.replace("\n", "<br>").strip() or " "


def md_table(header, rows) -> str:
    """A pipe table."""
    lines = ["| " + " | ".join(_escape(h) for h in header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(_escape(c) for c in row) + " |")
    return "\n".join(lines)


def _front_matter(facts: DocFacts, outline) -> str:
    data = content.front_matter(facts, outline)
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000)
    return f"---\n{body}---"


def split_front_matter(text: str) -> tuple[dict, str]:
    """``(front matter as a dict, body)`` of a rendered skeleton.

    Use the body when converting with only the ``tables`` extension (without ``meta`` the front
    matter would come out as a rule and a heading).
    """
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end != -1:
            return yaml.safe_load(text[4:end]) or {}, text[end + 5:].lstrip("\n")
    return {}, text


def render_markdown(facts: DocFacts) -> str:
    """The Markdown skeleton of ``facts.document_key``; ``KeyError`` for an unknown key."""
    outline = load_outline(facts.document_key)
    ctx = context(facts)
    number = facts.number
    title = facts.document_name
    if outline.profile == "gongwen" or outline.form_only:
        title = substitute(outline.title, ctx) or title
    blocks = [_front_matter(facts, outline), f"# {title}"]
    if outline.profile == "tech" and not outline.form_only and not outline.record:
        cover = [("项目名称", facts.project_name)] + [(k.replace(" ", ""), v) for k, v in
                                                    content.cover_fields(facts)]
        cover += [("编制单位", facts.vendor), ("日期", date_zh(facts.date))]
        blocks.append(md_table(("项目", "内容"), cover))
        blocks.append("**文档控制**")
        blocks.append("**修订记录**")
        blocks.append(md_table(content.REVISION_COLUMNS, content.revision_rows(facts)))
        blocks.append("**审批**")
        blocks.append(md_table(content.APPROVAL_COLUMNS, content.approval_rows(facts)))
    else:
        meta = f"文档编号：{number}　版本：{facts.version_label}" if facts.version_label else f"编号：{number}"
        blocks.append(f"项目名称：{facts.project_name}  \n{meta}")
    if outline.form_only:
        for _, section in outline.walk():
            for table in section.tables:
                blocks.append(f"**{substitute(table.caption, ctx)}**")
                blocks.append(md_table(table.header, content.table_rows(table, facts, ctx)))
            blocks.extend(f"注：{substitute(t, ctx, TO_FILL)}" for t in section.text)
    else:
        table_no = 0
        for heading in headings(outline):
            section = heading.section
            blocks.append("#" * (heading.level + HEADING_OFFSET) + " " + heading.text)
            blocks.append(f"*{substitute(section.hint, ctx)}*")
            blocks.extend(substitute(t, ctx, TO_FILL) for t in section.text)
            for table in section.tables:
                table_no += 1
                blocks.append(f"**表{table_no} {substitute(table.caption, ctx)}**")
                blocks.append(md_table(table.header, content.table_rows(table, facts, ctx)))
    if outline.form_type:
        blocks.append(f"**{content.SIGNATURE_CAPTION}**")
        blocks.append(md_table(content.SIGNATURE_COLUMNS, content.signature_rows(facts)))
    return "\n\n".join(blocks) + "\n"
