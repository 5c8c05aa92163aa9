"""The body: numbered headings, hints, prefilled text, tables and the signature table."""

from __future__ import annotations

from docx.shared import Cm

from . import content
from .docx_styles import BODY, CAPTION, FRONT_SUBHEADING, HINT, add_para
from .docx_table import add_table, form_row_height
from .facts import TO_FILL, DocFacts, substitute
from .numbering import headings
from .outline import Outline


def add_body(doc, outline: Outline, facts: DocFacts, ctx, width: int) -> None:
    """Every section of ``outline``: heading, hint, text paragraphs, then its tables."""
    table_no = 0
    for heading in headings(outline):
        section = heading.section
        add_para(doc, heading.text, f"Heading {heading.level}")
        add_para(doc, substitute(section.hint, ctx), HINT)
        for text in section.text:
            add_para(doc, substitute(text, ctx, TO_FILL), BODY)
        for table in section.tables:
            table_no += 1
            add_para(doc, f"表{table_no} {substitute(table.caption, ctx)}", CAPTION)
            rows = content.table_rows(table, facts, ctx)
            if table.is_form:
                add_table(doc, table.header, rows, width_emu=width, weights=[1, 3],
                          first_col_bold=True, min_row_height=Cm(0.8),
                          row_heights=[form_row_height(f) if not v else None for f, v in rows])
            else:
                add_table(doc, table.header, rows, width_emu=width,
                          min_row_height=Cm(0.7) if not any(any(r) for r in rows) else None)
            add_para(doc, "", HINT)


def add_signatures(doc, facts: DocFacts, width: int) -> None:
    """The 甲方 / 乙方 (/ 监理) table for 盖章, 签字, 日期 that ends a form-type document."""
    add_para(doc, content.SIGNATURE_CAPTION, FRONT_SUBHEADING)
    add_table(doc, content.SIGNATURE_COLUMNS, content.signature_rows(facts), width_emu=width,
              weights=[1.1, 3.2, 1.8, 1.8, 1.8], min_row_height=Cm(2.2), first_col_bold=True)
