"""The PDF rendition of a scan keeps a text layer (issue 14, point 4): an image upload's
rendition is tesseract's PDF (the image with invisible chi_sim+eng text); a PDF without a text
layer (search's rule, search.ocr.needs_ocr) becomes its OCR'd copy; a PDF with text stays its
own rendition; a corrupt image ends as no_preview and the next file is still rendered.

The queued jobs run in-process (the same huey tasks the worker runs); one test runs
`flask worker` as a real process."""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from core import db
from processes import stop, wait_for, wait_for_line
from scan_support import image_bytes, image_pdf, page_text, scan_image

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(any(shutil.which(t) is None for t in ("tesseract", "pdftoppm", "pdftotext")),
                                reason="tesseract-ocr / poppler-utils are not installed (the Makefile installs them)")

SCAN = "门禁系统已完成安装调试，各出入口读卡器工作正常。\n停车场道闸与车牌识别联动测试通过。"
WORDS = ("门禁系统", "安装调试", "停车场", "联动测试")


@pytest.fixture
def on(app):
    """Renditions on for this app (the suite runs with HANDOVER_RENDITIONS=0)."""
    app.config["HANDOVER_RENDITIONS"] = True
    app.config["HANDOVER_OCR_SECONDS"] = 120
    app.config["HANDOVER_OCR_MEMORY_MB"] = 1024
    return app


def run_queue(app) -> int:
    """Execute what is queued (rendition, OCR and other jobs), as the worker would."""
    huey = app.extensions["huey"]
    n = 0
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
        n += task.name == "render_version"
    return n


def preview(client, world, version_id: int):
    return client.get(f"/api/versions/{version_id}/preview", headers=world.h("pm"))


def pdf_text(data: bytes) -> str:
    """The PDF's text without white space (tesseract separates CJK words by spaces)."""
    out = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout
    return "".join(out.decode("utf-8").split())


def row_of(app, version_id: int):
    from deliverables.models import Version
    from renditions.models import Rendition
    with app.app_context():
        s = db.session()
        row = s.get(Rendition, s.get(Version, version_id).sha256)
        return (row.status, row.converter, row.reason, row.pages, row.pdf_sha256, row.sha256)


def test_scanned_png_and_image_only_pdf_get_a_text_layer(on, actions, client, world):
    d = actions.doc_ids(n=1)[0]
    img = scan_image(SCAN, seed=3)
    png = actions.upload(d, image_bytes(img), "验收报告扫描件.png")
    scanned = image_pdf([scan_image(page_text(1, 6), seed=1), img])  # a scanner's PDF: no text layer
    pdf = actions.upload(d, scanned, "签字页扫描.pdf")
    assert "门禁" not in pdf_text(scanned)
    assert run_queue(on) == 2
    r = preview(client, world, png["id"])
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert len(PdfReader(io.BytesIO(r.data)).pages) == 1
    text = pdf_text(r.data)
    assert all(w in text for w in WORDS), text
    status, converter, reason, pages, _pdf_sha, _sha = row_of(on, png["id"])
    assert (status, converter, reason, pages) == ("ready", "tesseract", "", 1)
    r = preview(client, world, pdf["id"])
    assert r.status_code == 200 and r.data != scanned  # the OCR'd copy, not the scan itself
    reader = PdfReader(io.BytesIO(r.data))
    assert len(reader.pages) == 2
    assert [round(float(p.mediabox.width)) for p in reader.pages] == [595, 595]  # A4 kept (200 dpi)
    text = pdf_text(r.data)
    assert all(w in text for w in WORDS), text
    status, converter, reason, pages, pdf_sha, sha = row_of(on, pdf["id"])
    assert (status, converter, reason, pages) == ("ready", "tesseract", "", 2) and pdf_sha != sha
    # content-addressed: the same scan uploaded again is not rendered again
    again = actions.upload(actions.doc_ids(n=2)[1], scanned, "副本.pdf")
    assert run_queue(on) == 0 and preview(client, world, again["id"]).data == r.data


def test_a_pdf_with_text_stays_its_own_rendition_and_a_failed_ocr_keeps_the_scan(on, actions, client, world,
                                                                                 monkeypatch):
    from reportlab.pdfgen import canvas  # test data only
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(72, 720, "Acceptance report of the access control system, 2026")
    c.showPage()
    c.save()
    d = actions.doc_ids(n=1)[0]
    text_pdf = actions.upload(d, buf.getvalue(), "report.pdf")
    on.config["HANDOVER_OCR_SECONDS"] = 0.05  # the OCR of the scan cannot finish: its group is killed
    monkeypatch.setattr("renditions.scan.STARTUP_SECONDS", 0.0)
    scanned = image_pdf([scan_image(SCAN, seed=5)])
    scan = actions.upload(d, scanned, "扫描.pdf")
    run_queue(on)
    r = preview(client, world, text_pdf["id"])
    assert r.status_code == 200 and r.data == buf.getvalue()
    assert row_of(on, text_pdf["id"])[:3] == ("ready", "pdf", "")
    r = preview(client, world, scan["id"])
    assert r.status_code == 200 and r.data == scanned  # OCR failed: the PDF is its own rendition
    status, converter, reason, *_ = row_of(on, scan["id"])
    assert (status, converter) == ("ready", "pdf") and "OCR" in reason and "time limit" in reason, reason


def test_a_corrupt_image_is_no_preview_and_the_worker_renders_the_next_scan(on, actions, client, world, tmp_path):
    d = actions.doc_ids(n=1)[0]
    corrupt = actions.upload(d, b"\x89PNG\r\n\x1a\n not an image" + os.urandom(2000), "损坏.png")
    fake = actions.upload(d, b"II*\x00" + os.urandom(4000), "坏的.tif")  # a TIFF header, garbage after
    env = dict(os.environ, HANDOVER_DATA=on.config["HANDOVER_DATA"], DATABASE_URL=on.config["DATABASE_URL"],
               HANDOVER_REDIS_URL="", HANDOVER_RENDITIONS="1", HANDOVER_OCR_SECONDS="120", PYTHONUNBUFFERED="1")
    log_path = tmp_path / "worker.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker", "--threads", "1"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for_line(log_path, "worker: queue", proc)
        assert wait_for(lambda: preview(client, world, corrupt["id"]).status_code == 415, seconds=60)
        assert wait_for(lambda: preview(client, world, fake["id"]).status_code == 415, seconds=60)
        assert proc.poll() is None  # still running
        later = actions.upload(d, image_bytes(scan_image(SCAN, seed=4).convert("RGB"), "JPEG"), "之后.jpg")
        assert wait_for(lambda: preview(client, world, later["id"]).status_code == 200, seconds=120)
    finally:
        code = stop(proc)
    log = log_path.read_text(errors="replace")
    assert code == 0, log[-3000:]
    for v in (corrupt, fake):
        r = preview(client, world, v["id"])
        assert r.json["error"]["code"] == "no_preview" and r.json["error"]["message"], r.json
        assert row_of(on, v["id"])[0] == "no_preview"
    text = pdf_text(preview(client, world, later["id"]).data)
    assert "门禁系统" in text and "停车场" in text, text
