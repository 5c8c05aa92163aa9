"""Front matter: cover, 文档控制, 目录 (TOC field), 公文 title block, header and footer."""

from __future__ import annotations

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Pt

from . import content
from .docx_styles import (
    COVER_INFO, COVER_PROJECT, COVER_TITLE, DOC_META, DOC_TITLE, FOOTER, FRONT_HEADING,
    FRONT_SUBHEADING, HEADER, TOC_STYLES, Profile, add_para, set_para_style,
)
from .docx_table import add_table
from .facts import DocFacts, date_zh, document_number

TOC_INSTRUCTION = 'TOC \\o "1-3" \\h \\z \\u'


def block_width(section) -> int:
    """Width of the text block of ``section`` in EMU."""
    return int(section.page_width - section.left_margin - section.right_margin)


def _field(paragraph, instruction: str, placeholder: str = "") -> None:
    """Append a complex field (begin / instrText / separate / result / end) to ``paragraph``."""
    def fld(kind):
        run = paragraph.add_run()
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        if kind == "begin":
            el.set(qn("w:dirty"), "true")
        run._r.append(el)

    fld("begin")
    run = paragraph.add_run()
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run._r.append(instr)
    fld("separate")
    paragraph.add_run(placeholder)
    fld("end")


def _page_break(doc) -> None:
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def add_cover(doc, facts: DocFacts) -> None:
    """技术 cover: project, document name, number / version / 密级 / signatories, company, date."""
    for _ in range(3):
        add_para(doc, "", COVER_INFO)
    add_para(doc, facts.project_name, COVER_PROJECT)
    add_para(doc, facts.document_name, COVER_TITLE)
    for _ in range(3):
        add_para(doc, "", COVER_INFO)
    fields = content.cover_fields(facts)
    widths = (Cm(3.2), Cm(8.3))
    table = doc.add_table(rows=len(fields), cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for row, (label, value) in zip(table.rows, fields):
        cells = row.cells
        for cell, text, w, align in zip(cells, (label.replace(" ", "") + "：", value), widths,
                                        (WD_ALIGN_PARAGRAPH.RIGHT, WD_ALIGN_PARAGRAPH.LEFT)):
            cell.width = w
            p = cell.paragraphs[0]
            set_para_style(p, COVER_INFO)
            p.paragraph_format.alignment = align
            p.add_run(text)
    for col, w in zip(table.columns, widths):
        col.width = w
    for _ in range(3):
        add_para(doc, "", COVER_INFO)
    add_para(doc, facts.vendor, COVER_INFO)
    add_para(doc, date_zh(facts.date), COVER_INFO)


def add_document_control(doc, facts: DocFacts, width: int) -> None:
    """文档控制: 修订记录 and 审批 tables."""
    add_para(doc, "文档控制", FRONT_HEADING)
    add_para(doc, "修订记录", FRONT_SUBHEADING)
    add_table(doc, content.REVISION_COLUMNS, content.revision_rows(facts), width_emu=width,
              weights=[1.0, 1.5, 1.7, 3.3, 1.7])
    add_para(doc, "审批", FRONT_SUBHEADING)
    add_table(doc, content.APPROVAL_COLUMNS, content.approval_rows(facts), width_emu=width,
              weights=[1.2, 2.9, 1.8, 1.5, 1.5], min_row_height=Cm(0.9), together=True)
    _page_break(doc)


def add_toc(doc, entries) -> None:
    """目录: a TOC field over heading levels 1-3; Word refreshes it on open (updateFields).

    The field result is pre-filled with the heading texts (no page numbers) so readers that do
    not refresh fields still show the structure.
    """
    add_para(doc, "目录", FRONT_HEADING)
    entries = [(lvl, text) for lvl, text in entries if lvl <= 3] or [(1, "右键单击此处，选择“更新域”生成目录")]
    first = add_para(doc, "", TOC_STYLES[entries[0][0] - 1])

    def fld(paragraph, kind):
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        if kind == "begin":
            el.set(qn("w:dirty"), "true")
        paragraph.add_run()._r.append(el)

    fld(first, "begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {TOC_INSTRUCTION} "
    first.add_run()._r.append(instr)
    fld(first, "separate")
    first.add_run(entries[0][1])
    last = first
    for level, text in entries[1:]:
        last = add_para(doc, text, TOC_STYLES[level - 1])
    fld(last, "end")


def add_gongwen_title(doc, facts: DocFacts, title: str) -> None:
    """公文 title block: title (小标宋), then project, number and version."""
    add_para(doc, title, DOC_TITLE)
    number = facts.number
    add_para(doc, f"项目名称：{facts.project_name}", DOC_META)
    meta = doc.paragraphs[-1]
    meta.paragraph_format.space_after = Pt(0)
    meta = f"文档编号：{number}　版本：{facts.version_label}" if facts.version_label else f"编号：{number}"
    if facts.extra.get("period"):
        meta += f"　记录周期：{facts.extra['period']}"
    add_para(doc, meta, DOC_META)


def _bottom_border(paragraph) -> None:
    p_pr = paragraph._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for k, v in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(k), v)
    bdr.append(bottom)
    # pPr order: pStyle, keepNext, keepLines, pageBreakBefore, framePr, widowControl, numPr,
    # suppressLineNumbers, pBdr, shd, tabs, ...
    successor = None
    for tag in ("w:shd", "w:tabs", "w:spacing", "w:ind", "w:jc"):
        successor = p_pr.find(qn(tag))
        if successor is not None:
            break
    if successor is not None:
        successor.addprevious(bdr)
    else:
        p_pr.append(bdr)


def setup_header_footer(section, facts: DocFacts, profile: Profile, *, roman: bool = False) -> None:
    """Header: project and document name left, 文档编号 and revision right, rule below.
    Footer: the page number ("第 X 页" / "— X —"; a bare Roman numeral in the front matter)."""
    section.header.is_linked_to_previous = False
    section.footer.is_linked_to_previous = False
    head = section.header.paragraphs[0]
    set_para_style(head, HEADER)
    head.paragraph_format.tab_stops.add_tab_stop(Emu(block_width(section)), WD_TAB_ALIGNMENT.RIGHT)
    head.add_run(f"{facts.project_name}　{facts.document_name}")
    head.add_run("\t")
    head.add_run(f"{facts.number}　{facts.version_label}".strip())
    _bottom_border(head)
    foot = section.footer.paragraphs[0]
    set_para_style(foot, FOOTER)
    before, after = ("", "") if roman else profile.page_number_format
    foot.add_run(before)
    _field(foot, "PAGE", "I" if roman else "1")
    foot.add_run(after)


def restart_page_numbers(section, start: int = 1, fmt: str | None = None) -> None:
    """``w:pgNumType w:start`` (and ``w:fmt``, e.g. ``upperRoman``) on ``section``."""
    sect_pr = section._sectPr
    pg = sect_pr.find(qn("w:pgNumType"))
    if pg is None:
        pg = OxmlElement("w:pgNumType")
        # sectPr order: headerReference*, footerReference*, footnotePr, endnotePr, type, pgSz,
        # pgMar, paperSrc, pgBorders, lnNumType, pgNumType, cols, ...
        successor = None
        for tag in ("w:cols", "w:formProt", "w:vAlign", "w:noEndnote", "w:titlePg", "w:textDirection",
                    "w:bidi", "w:rtlGutter", "w:docGrid", "w:printerSettings"):
            successor = sect_pr.find(qn(tag))
            if successor is not None:
                break
        if successor is not None:
            successor.addprevious(pg)
        else:
            sect_pr.append(pg)
    pg.set(qn("w:start"), str(start))
    if fmt:
        pg.set(qn("w:fmt"), fmt)
