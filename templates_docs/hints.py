"""填写说明 in a DOCX: count the ones left (the register flags them) and remove them for the
signing copy (清除填写说明).

A hint is a paragraph in the ``Hint`` style with text, or a figure frame still showing its
placeholder ``（在此插入…）``. Works on any DOCX made from a skeleton, also after editing in
Word (which keeps the style ids).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from lxml import etree

from .docx_styles import FIGURE, HINT, style_id

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_NS = {"w": W}
HINT_ID = style_id(HINT)
FIGURE_ID = style_id(FIGURE)
PLACEHOLDER = "（在此插入"
#: Larger document parts are not inspected (``None``: not checked).
MAX_PART_BYTES = 32 * 1024 * 1024
_XPATH = etree.XPath(
    f"//w:body//w:p[w:pPr/w:pStyle/@w:val='{HINT_ID}' or w:pPr/w:pStyle/@w:val='{FIGURE_ID}']",
    namespaces=_NS)


def _hint_paragraphs(root) -> list:
    out = []
    for p in _XPATH(root):
        text = "".join(t.text or "" for t in p.iter(f"{{{W}}}t")).strip()
        style = p.find("w:pPr/w:pStyle", _NS).get(f"{{{W}}}val")
        if (style == HINT_ID and text) or (style == FIGURE_ID and text.startswith(PLACEHOLDER)):
            out.append(p)
    return out


def _document_xml(z: zipfile.ZipFile) -> bytes | None:
    try:
        info = z.getinfo("word/document.xml")
    except KeyError:
        return None
    if info.file_size > MAX_PART_BYTES:
        return None
    with z.open(info) as fh:
        data = fh.read(MAX_PART_BYTES + 1)
    return data if len(data) <= MAX_PART_BYTES else None


def count_hints(data: bytes | Path) -> int | None:
    """How many 填写说明 the DOCX ``data`` (bytes or a path) still contains; ``None`` when it
    cannot be read. Only ``word/document.xml`` is read (at most MAX_PART_BYTES)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data) as z:
            xml = _document_xml(z)
        if xml is None:
            return None
        root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, huge_tree=False))
    except (zipfile.BadZipFile, etree.XMLSyntaxError, OSError, ValueError):
        return None
    return len(_hint_paragraphs(root))


def count_hints_in_file(path: Path, filename: str) -> int | None:
    """:func:`count_hints` of a stored file when it is a DOCX (by name), else ``None``."""
    if not filename.lower().endswith(".docx"):
        return None
    return count_hints(Path(path))  # the zip is read from the file: no whole-file load


def strip_hints(data: bytes) -> tuple[bytes, int]:
    """The signing copy of DOCX ``data``: every 填写说明 removed (other parts byte-identical).

    Returns ``(new bytes, number removed)``; ``ValueError`` when ``data`` is not a readable DOCX.
    """
    try:
        src = zipfile.ZipFile(io.BytesIO(data))
        xml = _document_xml(src)
        if xml is None:
            raise ValueError("no readable word/document.xml")
        root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, huge_tree=False))
    except (zipfile.BadZipFile, etree.XMLSyntaxError) as exc:
        raise ValueError(str(exc)) from None
    hints = _hint_paragraphs(root)
    for p in hints:
        parent = p.getparent()
        if parent.tag == f"{{{W}}}tc" and len(parent.findall("w:p", _NS)) == 1:
            for child in list(p):  # a cell keeps one (empty) paragraph
                if child.tag != f"{{{W}}}pPr":
                    p.remove(child)
            continue
        parent.remove(p)
    new_xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    out = io.BytesIO()
    with src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            body = new_xml if item.filename == "word/document.xml" else src.read(item.filename)
            dst.writestr(item, body)
    return out.getvalue(), len(hints)
