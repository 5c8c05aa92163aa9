"""Multilevel list numbering bound to the heading styles, and SEQ caption fields.

Headings carry no typed number: ``Heading 1-4`` are linked to one multilevel list (技术
``1`` / ``1.1`` / ``1.1.1`` / ``1.1.1.1``; 公文 ``一、`` / ``（一）`` / ``1.`` / ``（1）``), so
Word renumbers when a chapter is inserted. Appendix headings use the same styles with a
second list (技术 ``附录A`` / ``A.1`` ...; 公文 ``附件1``) set on the paragraph.
"""

from __future__ import annotations

from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn

BODY_NUM_ID = 11
APPENDIX_NUM_ID = 12
_BODY_ABSTRACT = 111
_APPENDIX_ABSTRACT = 112

# (numFmt, lvlText, suffix) per level 0..3
_TECH = (("decimal", "%1", "space"), ("decimal", "%1.%2", "space"),
         ("decimal", "%1.%2.%3", "space"), ("decimal", "%1.%2.%3.%4", "space"))
_TECH_APPENDIX = (("upperLetter", "附录%1", "space"), ("upperLetter", "%1.%2", "space"),
                  ("upperLetter", "%1.%2.%3", "space"), ("upperLetter", "%1.%2.%3.%4", "space"))
_GONGWEN = (("chineseCounting", "%1、", "nothing"), ("chineseCounting", "（%2）", "nothing"),
            ("decimal", "%3.", "nothing"), ("decimal", "（%4）", "nothing"))
_GONGWEN_APPENDIX = (("decimal", "附件%1", "space"), ("chineseCounting", "（%2）", "nothing"),
                     ("decimal", "%3.", "nothing"), ("decimal", "（%4）", "nothing"))


def _abstract(abstract_id: int, levels, styles: bool, indent_twips: int) -> str:
    lvls = []
    for i, (fmt, text, suff) in enumerate(levels):
        style = f'<w:pStyle w:val="Heading{i + 1}"/>' if styles else ""
        # Level 2+ of the appendix list shows the letter of level 1 (A.1), not "附录A.1".
        lvl_fmt = fmt if not (fmt == "upperLetter" and i) else "decimal"
        lvls.append(
            f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{lvl_fmt}"/>{style}'
            f'<w:suff w:val="{suff}"/><w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/>'
            f'<w:pPr><w:ind w:left="0" w:firstLine="{indent_twips}"/></w:pPr></w:lvl>')
    return (f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}">'
            f'<w:multiLevelType w:val="multilevel"/>{"".join(lvls)}</w:abstractNum>')


def setup_heading_numbering(doc, profile_key: str, indent_twips: int = 0) -> None:
    """Define the two lists in numbering.xml and bind ``Heading 1-4`` to the body list."""
    numbering = doc.part.numbering_part.element
    for child in list(numbering):  # the default template's lists are never used
        numbering.remove(child)
    body, appendix = (_TECH, _TECH_APPENDIX) if profile_key == "tech" else (_GONGWEN, _GONGWEN_APPENDIX)
    numbering.append(parse_xml(_abstract(_BODY_ABSTRACT, body, True, indent_twips)))
    numbering.append(parse_xml(_abstract(_APPENDIX_ABSTRACT, appendix, False, indent_twips)))
    for num_id, abstract_id in ((BODY_NUM_ID, _BODY_ABSTRACT), (APPENDIX_NUM_ID, _APPENDIX_ABSTRACT)):
        numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="{num_id}">'
                                   f'<w:abstractNumId w:val="{abstract_id}"/></w:num>'))
    for level in range(1, 5):
        ppr = doc.styles[f"Heading {level}"].element.get_or_add_pPr()
        num_pr = ppr.get_or_add_numPr()
        num_pr.get_or_add_ilvl().val = level - 1
        num_pr.get_or_add_numId().val = BODY_NUM_ID


def set_appendix_numbering(paragraph, level: int) -> None:
    """Number ``paragraph`` (an appendix heading of ``level``) in the appendix list."""
    num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
    num_pr.get_or_add_ilvl().val = level - 1
    num_pr.get_or_add_numId().val = APPENDIX_NUM_ID


def add_seq_caption(paragraph, label: str, number: int, text: str) -> None:
    """``表 {SEQ 表 \\* ARABIC} text`` (or 图): a caption Word renumbers and lists in a 表目录."""
    paragraph.add_run(f"{label} ")
    for kind in ("begin", "instr", "separate", "result", "end"):
        run = paragraph.add_run()
        if kind == "instr":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = f" SEQ {label} \\* ARABIC "
        elif kind == "result":
            run.text = str(number)
            continue
        else:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        run._r.append(el)
    paragraph.add_run(f" {text}")
