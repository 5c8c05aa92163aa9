"""CJK text from PDFs (issue 14, point 4): a PDF printed by Chromium and a PDF whose text
layer holds the CJK radicals ⻔ (U+2ED4) and ⻋ (U+2ECB) are found by 门禁 and 停车场 on
every engine (the database's own FTS and Whoosh) and on both databases. Radicals and
compatibility ideographs are unified in the one analysis step (search.analysis.fold)."""
from __future__ import annotations

import io
import unicodedata

import pytest

from search_support import version_ids

CHROMIUM_HTML = ("<html><head><meta charset='utf-8'><style>body{font-family:'Noto Sans CJK SC'}</style></head>"
                 "<body><h1>门禁系统验收报告</h1><p>停车场门禁与车辆道闸联调完成。</p>"
                 "<p style=\"font-family:'Noto Serif CJK SC'\">闸门 车库</p></body></html>")


@pytest.fixture(scope="module")
def chromium_pdf(chromium) -> bytes:
    """What a user gets from a browser's 打印 → 另存为 PDF (Chromium's own PDF writer)."""
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.set_content(CHROMIUM_HTML)
        return page.pdf(format="A4")
    finally:
        context.close()


def radical_pdf() -> bytes:
    """A PDF whose text layer holds the radicals ⻔ and ⻋ in place of 门 and 车 (reportlab,
    Adobe-GB1 CID font: pdftotext reads the radicals back as such)."""
    from reportlab.pdfbase import pdfmetrics  # on demand: only this test draws PDFs
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont("STSong-Light", 14)
    c.drawString(72, 700, "\u2ed4禁系统调试记录")
    c.drawString(72, 680, "地下停\u2ecb场出入口已联调。Gate ready")
    c.save()
    return buf.getvalue()


def test_radicals_and_compatibility_ideographs_fold_to_unified_ideographs():
    from search.analysis import EQUIVALENTS, fold, tokens
    assert fold("\u2ed4禁 停\u2ecb场") == "门禁 停车场"
    assert tokens("\u2ed4禁") == tokens("门禁") == ["门禁", "禁"]
    assert fold("\u2f08") == "人" and fold("\uf900") == unicodedata.normalize("NFKC", "\uf900") == "\u8c48"
    assert len(fold("x\u2ed4\u2ecbY")) == 4  # per character: snippet offsets stay right
    assert len(EQUIVALENTS) > 300 and EQUIVALENTS["\u2eb0"] == "纟"


@pytest.fixture(params=["db", "whoosh", "tantivy"])
def engine(request, app):
    app.config["HANDOVER_SEARCH"] = request.param
    return request.param


def test_chromium_and_radical_pdfs_are_found_by_both_words(actions, engine, backend, chromium_pdf):
    docs = actions.deliverables()
    radicals = radical_pdf()
    from pypdf import PdfReader  # on demand: only this check reads the PDF
    layer = PdfReader(io.BytesIO(radicals)).pages[0].extract_text()
    assert "\u2ed4" in layer and "\u2ecb" in layer and "门" not in layer  # the text layer holds the radicals
    a = actions.upload(docs["test_report"], chromium_pdf, "门禁验收报告.pdf")
    b = actions.upload(docs["system_design"], radicals, "调试记录.pdf")
    other = actions.upload(docs["master_plan"], "门口的停车位", "无关.txt")
    assert a["text_status"] == b["text_status"] == "extracted"
    for q in ("门禁", "停车场", "车场", "\u2ed4禁", "停\u2ecb场"):
        assert version_ids(actions.search(q=q)) == {a["id"], b["id"]}, (q, engine, backend)
    assert version_ids(actions.search(q="停车")) == {a["id"], b["id"], other["id"]}  # 停车位 too
    assert other["id"] not in version_ids(actions.search(q="门禁"))
    hit = next(h for h in actions.search(q="停车场")["hits"] if h["version_id"] == b["id"])
    assert "<mark>停车场</mark>" in hit["snippet"], hit["snippet"]  # stored text is unified too
