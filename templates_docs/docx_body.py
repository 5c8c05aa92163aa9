"""The body: numbered headings, hints, prefilled text, tables, figures and the signature table."""

from __future__ import annotations

import re

from docx.enum.text import WD_BREAK
from docx.shared import Cm

from . import content
from .docx_numbering import add_seq_caption, set_appendix_numbering
from .docx_styles import BODY, CAPTION, FIGURE, FRONT_SUBHEADING, HINT, add_para
from .docx_table import add_table, column_weights, form_row_height, keep_together
from .facts import TO_FILL, DocFacts, substitute
from .numbering import headings
from .outline import Outline

#: Diagrams a hint may ask for; each gets a placeholder frame and a 图 caption.
_FIGURE = re.compile(r"(?:给出|附|用|和|及)([\u4e00-\u9fff]{0,6}?(?:架构图|拓扑图|部署图|流程图|结构图))")


def figure_names(section) -> list[str]:
    """Captions of the diagrams the hint of ``section`` asks for (e.g. 网络拓扑图)."""
    names = []
    for name in _FIGURE.findall(section.hint):
        if section.title.endswith(name[:-1]):  # 故障处理流程 + 流程图 -> 故障处理流程图
            name = section.title + "图"
        elif len(name) <= 3 and name[:2] not in section.title:  # bare 流程图: after the section
            name = section.title + name
        if name not in names:
            names.append(name)
    return names


def add_figure(doc, name: str, number: int) -> None:
    """A framed placeholder where the diagram goes, then its caption ``图 n name``."""
    frame = add_para(doc, "", FIGURE)
    run = frame.add_run()
    for _ in range(3):
        run.add_break(WD_BREAK.LINE)
    frame.add_run(f"（在此插入{name}）")
    run = frame.add_run()
    for _ in range(3):
        run.add_break(WD_BREAK.LINE)
    add_seq_caption(add_para(doc, "", CAPTION), "图", number, name)


def add_table_caption(doc, number: int, text: str) -> None:
    add_seq_caption(add_para(doc, "", CAPTION), "表", number, text)


def add_body(doc, outline: Outline, facts: DocFacts, ctx, width: int) -> None:
    """Every section of ``outline``: heading, hint, text paragraphs, figures, then its tables."""
    table_no = figure_no = 0
    for heading in headings(outline):
        section = heading.section
        para = add_para(doc, section.title, f"Heading {heading.level}")
        if heading.appendix:
            set_appendix_numbering(para, heading.level)
        add_para(doc, substitute(section.hint, ctx), HINT)
        for text in section.text:
            add_para(doc, substitute(text, ctx, TO_FILL), BODY)
        cited = content.cited_standard(outline, section)
        if cited and not section.tables:
            add_para(doc, cited, BODY)
        for name in figure_names(section):
            figure_no += 1
            add_figure(doc, name, figure_no)
        for table in section.tables:
            table_no += 1
            add_table_caption(doc, table_no, substitute(table.caption, ctx))
            rows = content.table_rows(table, facts, ctx)
            if cited and table.caption == section.title:
                rows = content.with_citation(table, rows, outline)
            if table.is_form:
                add_table(doc, table.header, rows, width_emu=width, weights=[1, 3],
                          first_col_bold=True, min_row_height=Cm(0.8), together=True,
                          row_heights=[form_row_height(f) if not v else None for f, v in rows])
            elif table.days:
                add_week_grid(doc, table, facts, rows, width)
            else:
                add_table(doc, table.header, rows, width_emu=width,
                          min_row_height=Cm(0.7) if not any(any(r) for r in rows) else None,
                          together="签字" in table.columns)
            add_para(doc, "", BODY)


#: Rows under a week grid, signed day by day.
GRID_SIGN_ROWS = ("检查人（签字）", "复核人（签字）")


def add_week_grid(doc, table, facts: DocFacts, rows, width: int) -> None:
    """A week grid: the leading columns, one narrow column per day (周一 .. 周日, with dates
    when known), then a 检查人 and a 复核人 row signed per day."""
    lead = len(table.columns)
    header = content.table_header(table, facts)
    weights = column_weights(header[:lead], [r[:lead] for r in rows]) + [2.2] * (len(header) - lead)
    sign_rows = [[label] + [""] * (len(header) - 1) for label in GRID_SIGN_ROWS]
    grid = add_table(doc, header, rows + sign_rows, width_emu=width, weights=weights,
                     min_row_height=Cm(0.8))
    for row in grid.rows[-len(sign_rows):]:
        cells = row.cells
        merged = cells[0].merge(cells[lead - 1])
        for p in merged.paragraphs[1:]:  # the merged cells' empty paragraphs
            p._p.getparent().remove(p._p)
        merged.paragraphs[0].runs[0].bold = True
    keep_together(grid)


def add_signatures(doc, facts: DocFacts, width: int) -> None:
    """The 甲方 / 乙方 (/ 监理) table for 盖章, 签字, 日期 that ends a form-type document."""
    add_para(doc, content.SIGNATURE_CAPTION, FRONT_SUBHEADING)
    add_table(doc, content.SIGNATURE_COLUMNS, content.signature_rows(facts), width_emu=width,
              weights=[1.1, 3.2, 1.8, 1.8, 1.8], min_row_height=Cm(2.2), first_col_bold=True,
              together=True)
