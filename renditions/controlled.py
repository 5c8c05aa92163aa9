"""Controlled copies (受控副本): the rendition of a signed-off version, every page stamped with
a diagonal light watermark "受控副本 · <user> · <time>" and a last page 签署页 listing every
sign-off, the version's sha256 and the document number, made per download.

The stamp is drawn once per page size with reportlab (one small overlay PDF) and merged onto
each page with pypdf; the text is set in a TrueType CJK face embedded as a subset (WenQuanYi
Zen Hei from fonts-wqy-zenhei, found by fontconfig), or reportlab's built-in CID font
STSong-Light when no TrueType CJK face is installed (not embedded: viewers substitute).
"""
from __future__ import annotations

import io
import subprocess
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterable

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (ArrayObject, DecodedStreamObject, DictionaryObject, FloatObject, IndirectObject,
                           NameObject)
from reportlab.lib.colors import Color
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

FONT = "HandoverCJK"
STAMP = "/HandoverStamp"
CID_FONT = "STSong-Light"
TTF_CANDIDATES = ("WenQuanYi Zen Hei", "AR PL UMing CN", "Droid Sans Fallback")
_font_lock = threading.Lock()
_font_name: str | None = None


@dataclass(frozen=True)
class SignLine:
    step: str
    signer: str
    decision: str
    time: str
    comment: str


def _ttf_path() -> tuple[str, int] | None:
    """A TrueType (not CFF) CJK face fontconfig knows: (file, index in a collection)."""
    for family in TTF_CANDIDATES:
        try:
            out = subprocess.run(["fc-match", "-f", "%{file}\n%{index}\n%{family}", family], capture_output=True,
                                 text=True, timeout=5).stdout.split("\n")
        except (OSError, subprocess.TimeoutExpired):
            return None
        if len(out) >= 3 and family.lower() in out[2].lower() and out[0].lower().endswith((".ttf", ".ttc")):
            return out[0], int(out[1] or 0)
    return None


def font() -> str:
    """The registered CJK font's name (registered once per process)."""
    global _font_name
    with _font_lock:
        if _font_name is None:
            found = _ttf_path()
            if found:
                path, index = found
                pdfmetrics.registerFont(TTFont(FONT, path, subfontIndex=index))
                _font_name = FONT
            else:
                pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
                _font_name = CID_FONT
        return _font_name


def _overlay(width: float, height: float, text: str) -> PdfReader:
    """One transparent page with the diagonal stamp repeated, for pages of this size."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(width, height))
    name = font()
    size = max(12.0, min(width, height) / 22)
    c.setFillColor(Color(0.75, 0.1, 0.1, alpha=0.16))
    c.setFont(name, size)
    c.saveState()
    c.translate(width / 2, height / 2)
    c.rotate(35)
    span = (width ** 2 + height ** 2) ** 0.5
    step = size * 5
    y = -span / 2
    while y < span / 2:
        c.drawCentredString(0, y, text)
        y += step
    c.restoreState()
    # A plain footer line too: the stamp text stays readable when the watermark is faint on paper.
    c.setFillColor(Color(0.4, 0.1, 0.1, alpha=0.7))
    c.setFont(name, 7)
    c.drawString(18, 10, text)
    c.save()
    buf.seek(0)
    return PdfReader(buf)


def _sign_page(width: float, height: float, title: str, lines: Iterable[SignLine], sha256: str, doc_no: str,
               stamp: str) -> PdfReader:
    """The last page 签署页: every sign-off, the sha256 and the document number."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(width, height))
    name = font()
    x, y = 50, height - 60
    c.setFont(name, 18)
    c.drawString(x, y, "签署页")
    y -= 28
    c.setFont(name, 10)
    for label, value in (("文件", title), ("文件编号", doc_no or "—"), ("SHA-256", sha256), ("受控副本", stamp)):
        c.drawString(x, y, f"{label}：{value}" if label != "SHA-256" else f"{label}: {value}")
        y -= 16
    y -= 10
    cols = (x, x + 90, x + 190, x + 250, x + 370)
    c.setFont(name, 10)
    for col, head in zip(cols, ("环节", "签署人", "结论", "时间", "意见")):
        c.drawString(col, y, head)
    y -= 6
    c.line(x, y, width - 50, y)
    y -= 14
    for line in lines:
        if y < 60:
            c.showPage()
            c.setFont(name, 10)
            y = height - 60
        comment = line.comment.replace("\n", " ")
        for col, value in zip(cols[:4], (line.step, line.signer, line.decision, line.time)):
            c.drawString(col, y, value[:28])
        # Long comments wrap within the last column.
        chunks = [comment[i:i + 14] for i in range(0, len(comment), 14)] or [""]
        for chunk in chunks[:6]:
            c.drawString(cols[4], y, chunk)
            y -= 14
        y -= 4
    c.save()
    buf.seek(0)
    return PdfReader(buf)


def _form_xobject(writer: PdfWriter, overlay, width: float, height: float) -> IndirectObject:
    """The overlay page as one Form XObject of the copy: drawn by reference on every page, so
    no page's own content stream is parsed or rewritten (pypdf's merge_page would)."""
    form = DecodedStreamObject()
    form.set_data(overlay.get_contents().get_data())
    form.update({NameObject("/Type"): NameObject("/XObject"), NameObject("/Subtype"): NameObject("/Form"),
                 NameObject("/BBox"): ArrayObject([FloatObject(0), FloatObject(0), FloatObject(width),
                                                   FloatObject(height)]),
                 NameObject("/Resources"): overlay["/Resources"].clone(writer)})
    return writer._add_object(form)


def _draw_over(writer: PdfWriter, page, form: IndirectObject, x0: float, y0: float) -> None:
    """Wrap the page's content in q/Q and draw `form` over it (at the media box's origin)."""
    resources = page.get("/Resources")
    resources = resources.get_object() if resources is not None else DictionaryObject()
    page[NameObject("/Resources")] = resources
    xobjects = resources.get("/XObject")
    xobjects = xobjects.get_object() if xobjects is not None else DictionaryObject()
    resources[NameObject("/XObject")] = xobjects
    xobjects[NameObject(STAMP)] = form
    before, after = DecodedStreamObject(), DecodedStreamObject()
    before.set_data(b"q\n")
    after.set_data(f"\nQ q 1 0 0 1 {x0:g} {y0:g} cm {STAMP} Do Q\n".encode())
    contents = page.get("/Contents")
    parts = []
    if contents is not None:
        obj = contents.get_object()
        parts = list(obj) if isinstance(obj, ArrayObject) else [contents]
    page[NameObject("/Contents")] = ArrayObject([writer._add_object(before), *parts, writer._add_object(after)])


def stamp_pdf(source: Path, out: io.BufferedIOBase, *, user_name: str, when: datetime, title: str,
              signoffs: list[SignLine], sha256: str, doc_no: str = "") -> int:
    """Write the controlled copy of the PDF `source` to `out`; returns its page count."""
    stamp = f"受控副本 · {user_name} · {when:%Y-%m-%d %H:%M} (北京时间)"
    reader = PdfReader(source)
    writer = PdfWriter(clone_from=reader)
    stamps: dict[tuple[int, int], IndirectObject] = {}
    last_size = (595.0, 842.0)
    for page in writer.pages:
        box = page.mediabox
        w, h = float(box.width), float(box.height)
        key = (round(w), round(h))
        if key not in stamps:
            stamps[key] = _form_xobject(writer, _overlay(w, h, stamp).pages[0], w, h)
        _draw_over(writer, page, stamps[key], float(box.left), float(box.bottom))
        last_size = (w, h) if (page.get("/Rotate") or 0) % 180 == 0 else (h, w)
    for page in _sign_page(last_size[0], last_size[1], title, signoffs, sha256, doc_no, stamp).pages:
        writer.add_page(page)
    writer.add_metadata({"/Title": f"受控副本 {title}", "/Subject": f"sha256 {sha256}"})
    writer.write(out)
    return len(writer.pages)
