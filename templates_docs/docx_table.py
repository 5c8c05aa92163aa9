"""Tables: Table Grid borders, shaded header row repeated on every page, 五号 宋体 text."""

from __future__ import annotations

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Pt

from . import fonts
from .docx_styles import TABLE_TEXT, add_para, set_para_style, set_run_fonts

HEADER_FILL = "D9D9D9"
BLANK_ROW_HEIGHT = Cm(0.75)
TALL_FORM_ROW = Cm(1.8)
TALL_FIELDS = ("现象", "过程", "范围", "内容", "原因", "意见", "结果", "分析", "签字", "需求", "计划",
               "措施", "目标")
_BORDERS = ("top", "left", "bottom", "right", "insideH", "insideV")


def _text_width(text: str) -> float:
    """Width of ``text`` in character cells (CJK = 1, Latin = 0.55)."""
    return sum(1.0 if ord(ch) > 0x2E80 else 0.55 for ch in text)


NARROW = ("序号", "数量", "结论", "结果", "级别", "步骤", "优先级", "允许空", "主键", "长度", "人数")
WIDE = ("描述", "内容", "说明", "现象", "过程", "要求", "意见", "定义", "标准", "事项", "措施",
        "原因", "问题", "预期", "方案")


def column_weights(header, rows) -> list[float]:
    """Relative column widths from the header words and the longest cells (capped).

    Short cells (up to six characters) should fit on one line; long text columns get the rest.
    """
    weights = []
    for i, head in enumerate(header):
        longest = max([_text_width(line) for r in rows if i < len(r) for line in r[i].split("\n")]
                      + [0])
        if head in NARROW:
            base = 2.0
        elif any(word in head for word in WIDE):
            base = 6.0
        else:
            base = 3.0
        weights.append(max(base, _text_width(head) + 0.8, min(longest, 6) + 0.6,
                           min(longest * 0.6, 14)))
    return weights


def form_row_height(field: str):
    """Taller rows for form fields that take a description."""
    return TALL_FORM_ROW if any(word in field for word in TALL_FIELDS) else None


def _borders(tbl) -> None:
    """Explicit single borders, in case a reader ignores the Table Grid style."""
    tbl_pr = tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for side in _BORDERS:
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), "4")
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000")
        borders.append(el)
    # tblPr order: tblStyle, ..., tblW, jc, ..., tblBorders, shd, tblLayout, tblCellMar, tblLook
    successor = None
    for tag in ("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook"):
        successor = tbl_pr.find(qn(tag))
        if successor is not None:
            break
    if successor is not None:
        successor.addprevious(borders)
    else:
        tbl_pr.append(borders)


def _shade(cell, fill: str) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tc_pr.append(shd)  # after tcW (the only child python-docx writes)


def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)
    cant = OxmlElement("w:cantSplit")
    cant.set(qn("w:val"), "true")
    tr_pr.insert(0, cant)


def _fill_cell(cell, text: str, bold: bool = False, small: bool = False) -> None:
    para = cell.paragraphs[0]
    set_para_style(para, TABLE_TEXT)
    lines = text.split("\n") if text else [""]
    for i, line in enumerate(lines):
        if i:
            para = add_para(cell, "", TABLE_TEXT)
        if not line:
            continue
        run = para.add_run(line)
        if bold:
            run.bold = True
        if small:
            run.font.size = Pt(fonts.pt("小五"))


def keep_together(table) -> None:
    """No row breaks across pages (cantSplit) and every row stays with the next (keepNext on
    its paragraphs), so a signature or form table is never split from its other half."""
    rows = table.rows
    for i, row in enumerate(rows):
        tr_pr = row._tr.get_or_add_trPr()
        if tr_pr.find(qn("w:cantSplit")) is None:
            cant = OxmlElement("w:cantSplit")
            cant.set(qn("w:val"), "true")
            tr_pr.insert(0, cant)  # trPr order: ..., cantSplit, trHeight, tblHeader, ...
        if i < len(rows) - 1:
            for cell in row.cells:
                for p in cell.paragraphs:
                    p.paragraph_format.keep_with_next = True


def add_table(doc, header, rows, *, width_emu: int, weights=None, min_row_height=None,
              header_bold=True, first_col_bold=False, row_heights=None, together=False):
    """Append a bordered table with a repeated, shaded header row; return it.

    ``together``: keep the whole table on one page (forms and signature tables)."""
    n_cols = len(header)
    small = n_cols > 8
    table = doc.add_table(rows=1 + len(rows), cols=n_cols)
    table._tbl.tblPr.style = "TableGrid"  # by id: lookups by name are slow
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _borders(table._tbl)
    weights = weights or column_weights(header, rows)
    total = sum(weights)
    widths = [Emu(int(width_emu * w / total)) for w in weights]
    for col, w in zip(table.columns, widths):
        col.width = w
    all_rows = table.rows
    for r_index, row in enumerate(all_rows):
        cells = row.cells
        values = header if r_index == 0 else rows[r_index - 1]
        for c_index, cell in enumerate(cells):
            cell.width = widths[c_index]
            bold = (r_index == 0 and header_bold) or (c_index == 0 and first_col_bold and r_index > 0)
            _fill_cell(cell, values[c_index], bold=bold, small=small)
            if r_index == 0:
                _shade(cell, HEADER_FILL)
        if r_index == 0:
            _repeat_header(row)
        elif row_heights and row_heights[r_index - 1]:
            row.height = row_heights[r_index - 1]
        elif min_row_height:
            row.height = min_row_height
        elif not any(values):
            row.height = BLANK_ROW_HEIGHT
    if together:
        keep_together(table)
    return table


def ensure_table_fonts(doc) -> None:
    """Give the Table Grid style explicit fonts too (it is used on every table)."""
    style = doc.styles["Table Grid"]
    set_run_fonts(style.element.get_or_add_rPr(), fonts.SONG)
