"""Page numbers in a generated document's 目录: read them from a laid-out copy, write them into ours.

python-docx cannot lay out pages, so `render_docx` writes the TOC field with the heading texts
only. LibreOffice (the worker's rendition service, renditions/toc.py) lays the document out and
updates the index; `toc_entries` reads the (text, page) pairs from that copy, and
`with_toc_pages` writes the pages into our own DOCX: a dotted right tab and the number in
each entry of the field result. Only the 目录 changes, so the stored draft stays the file
python-docx made (styles, numbering, SEQ fields, hints) and its PDF shows the same pages.
"""
from __future__ import annotations

import io

from docx import Document
from docx.enum.text import WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu
from docx.text.paragraph import Paragraph

from templates_docs.docx_render import _normalise_zip


def _toc_paragraphs(doc) -> list:
    """The paragraphs of the first TOC field's result (begin ... end), in order."""
    body = doc.element.body
    out, inside, depth = [], False, 0
    for p in body.iter(qn("w:p")):
        instr = "".join(t.text or "" for t in p.iter(qn("w:instrText")))
        if not inside and instr.strip().startswith("TOC"):
            inside = True
        if inside:
            out.append(p)
            for fc in p.iter(qn("w:fldChar")):
                kind = fc.get(qn("w:fldCharType"))
                depth += 1 if kind == "begin" else -1 if kind == "end" else 0
            if depth <= 0 and any(fc.get(qn("w:fldCharType")) == "end" for fc in p.iter(qn("w:fldChar"))):
                break
    return out


def _visible_text(p) -> list[str]:
    """The paragraph's text pieces split at tab characters (field instructions left out)."""
    pieces, current = [], []
    for el in p.iter(qn("w:t"), qn("w:tab")):
        if el.tag == qn("w:tab"):
            if el.getparent().tag == qn("w:r"):  # a tab character, not a tab stop definition
                pieces.append("".join(current))
                current = []
        else:
            current.append(el.text or "")
    pieces.append("".join(current))
    return pieces


def toc_entries(docx: bytes) -> list[tuple[str, str]]:
    """(entry text, page label) for each entry of the laid-out document's 目录, in order."""
    doc = Document(io.BytesIO(docx))
    out = []
    for p in _toc_paragraphs(doc):
        pieces = _visible_text(p)
        if len(pieces) < 2 or not pieces[-1].strip():
            continue
        out.append((" ".join(x.strip() for x in pieces[:-1] if x.strip()), pieces[-1].strip()))
    return out


def _norm(text: str) -> str:
    return "".join(text.split())


def with_toc_pages(docx: bytes, entries: list[tuple[str, str]], date) -> bytes | None:
    """`docx` with the page numbers of `entries` in its 目录, or None when they do not match
    (another number of entries or other texts: the caller keeps the document as it was).

    `date` is the document's date (fixed ZIP timestamps, as render_docx writes them)."""
    doc = Document(io.BytesIO(docx))
    paragraphs = _toc_paragraphs(doc)
    texts = ["".join(t.text or "" for t in p.iter(qn("w:t"))) for p in paragraphs]
    if not paragraphs or len(entries) != len(paragraphs) or \
            any(_norm(mine) != _norm(theirs) for mine, (theirs, _) in zip(texts, entries)):
        return None
    section = doc.sections[1] if len(doc.sections) > 1 else doc.sections[0]  # the 目录's section
    width = Emu(section.page_width - section.left_margin - section.right_margin)
    for p_el, (_, page) in zip(paragraphs, entries):
        paragraph = Paragraph(p_el, None)
        paragraph.paragraph_format.tab_stops.add_tab_stop(width, WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
        # Before the field's end mark (the last paragraph) so the number belongs to the result.
        end = next((r for r in p_el.findall(qn("w:r"))
                    if any(fc.get(qn("w:fldCharType")) == "end" for fc in r.iter(qn("w:fldChar")))), None)
        for piece in ("tab", page):
            r = OxmlElement("w:r")
            if piece == "tab":
                r.append(OxmlElement("w:tab"))
            else:
                t = OxmlElement("w:t")
                t.text = page
                r.append(t)
            if end is not None:
                end.addprevious(r)
            else:
                p_el.append(r)
    # The numbers are there: Word need not ask to update fields on open, nor treat the TOC as stale.
    for fc in paragraphs[0].iter(qn("w:fldChar")):
        if fc.get(qn("w:dirty")):
            del fc.attrib[qn("w:dirty")]
    update = doc.settings.element.find(qn("w:updateFields"))
    if update is not None:
        doc.settings.element.remove(update)
    buf = io.BytesIO()
    doc.save(buf)
    return _normalise_zip(buf.getvalue(), date)
