"""OCR of scans (issue 14, point 4): a scanned Chinese page (rendered in the test with
Pillow), as a PNG and wrapped into an image-only PDF, is `ocr_pending` on upload (the
request never runs OCR), read by tesseract in the worker (a real `flask worker` process)
and then found by search like any other text. Hostile images end as `failed` with the
reason and the worker goes on; attempts are bounded."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import select

from processes import stop, wait_for, wait_for_line
from scan_support import image_bytes, image_pdf, page_text, scan_image
from search_support import version_ids

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None or shutil.which("pdftoppm") is None,
                                reason="tesseract-ocr / poppler-utils are not installed (the Makefile installs them)")

SCAN = "门禁系统已完成安装调试，各出入口读卡器工作正常。\n停车场道闸与车牌识别联动测试通过。\n" + page_text(7, 4)


def _start_worker(app, log_path, **env):
    environ = dict(os.environ)
    environ.update(HANDOVER_DATA=app.config["HANDOVER_DATA"], DATABASE_URL=app.config["DATABASE_URL"],
                   HANDOVER_REDIS_URL="", PYTHONUNBUFFERED="1", **env)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker", "--threads", "1"],
                                cwd=ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    wait_for_line(log_path, "worker: queue", proc)
    return proc


def _status(actions, vid):
    v = actions.client.get(f"/api/versions/{vid}", headers=actions._h("pm")).get_json()
    return v["text_status"], v["text_error"]


def test_scans_are_read_by_the_worker_and_found(actions, app, backend, tmp_path):
    docs = actions.deliverables()
    img = scan_image(SCAN, seed=3)
    png = actions.upload(docs["test_report"], image_bytes(img), "验收报告扫描件.png")
    pages = image_pdf([scan_image(page_text(1, 6), seed=1), img])  # a scanner's PDF: no text layer
    pdf = actions.upload(docs["acceptance_report"], pages, "签字页扫描.pdf")
    jpg = actions.upload(docs["master_plan"], image_bytes(img.convert("RGB"), "JPEG"), "照片.jpg")
    corrupt = actions.upload(docs["data_dictionary"], b"\x89PNG\r\n\x1a\n not an image", "损坏.png")
    from PIL import Image  # on demand: only this test makes the bomb
    bomb = actions.upload(docs["test_plan"], image_bytes(Image.new("1", (12000, 12000), 1)), "超大.png")
    for v in (png, pdf, jpg, corrupt, bomb):  # promised in the upload's transaction, not read yet
        assert (v["text_status"], v["text_error"]) == ("ocr_pending", None), v
    assert actions.search(q="门禁系统")["total"] == 0
    worker = _start_worker(app, tmp_path / "worker.log", HANDOVER_OCR_SECONDS="120", HANDOVER_OCR_MEMORY_MB="768",
                           HANDOVER_RENDITIONS="0")  # this test is about OCR only
    try:
        ids = [v["id"] for v in (png, pdf, jpg, corrupt, bomb)]
        done = wait_for(lambda: all(_status(actions, i)[0] != "ocr_pending" for i in ids), seconds=300, every=1)
        assert done, [(_status(actions, i)) for i in ids]
        assert worker.poll() is None, "the worker survived every file"
    finally:
        code = stop(worker)
    log = (tmp_path / "worker.log").read_text(errors="replace")
    assert code == 0, log[-2000:]
    assert [_status(actions, v["id"]) for v in (png, pdf, jpg)] == [("ocr", None)] * 3, log[-3000:]
    status, error = _status(actions, corrupt["id"])
    assert status == "failed" and error.startswith("OCR: unreadable"), error
    status, error = _status(actions, bomb["id"])
    assert status == "failed" and "too large" in error, error
    for q in ("门禁系统", "停车场", "车牌识别"):
        assert version_ids(actions.search(q=q)) == {png["id"], pdf["id"], jpg["id"]}, (q, backend)
    hit = next(h for h in actions.search(q="车牌识别")["hits"] if h["version_id"] == png["id"])
    assert "<mark>车牌识别</mark>" in hit["snippet"], hit["snippet"]


def test_which_files_are_read_by_ocr():
    """Images, and PDFs at least half of whose pages have (almost) no text layer."""
    from search.ocr import needs_ocr
    from search.sandbox import EXTRACTED, FAILED, NOT_SUPPORTED, Extraction
    assert needs_ocr("a.pdf", Extraction(EXTRACTED, "\f\f"))
    assert needs_ocr("a.pdf", Extraction(EXTRACTED, "第1页\f第2页\f"))  # page numbers only: a scan
    assert not needs_ocr("a.pdf", Extraction(EXTRACTED, "门禁系统调试记录，停车场道闸联动测试通过。\f"))
    assert not needs_ocr("a.pdf", Extraction(EXTRACTED, "测试计划\n第一阶段：功能测试。\f"))  # short, but text
    assert needs_ocr("a.pdf", Extraction(EXTRACTED, "封面 测试计划 第一阶段\f\f\f"))  # 2 of 3 pages scanned
    assert not needs_ocr("a.pdf", Extraction(EXTRACTED, "测试计划第一阶段\f\f附录功能测试用例\f"))
    assert needs_ocr("a.TIFF", Extraction(NOT_SUPPORTED)) and not needs_ocr("a.vsdx", Extraction(NOT_SUPPORTED))
    assert not needs_ocr("a.pdf", Extraction(FAILED, error="time limit"))


def test_ocr_attempts_are_bounded_and_the_sweep_requeues_lost_jobs(actions, app):
    """A worker killed during OCR leaves the row pending with its attempt: the sweep queues
    it again once stale, and after MAX_ATTEMPTS the row is failed, never retried forever."""
    from core import db
    from core.clock import iso, now
    from search import ocr
    from search.models import SearchText
    docs = actions.deliverables()
    v = actions.upload(docs["test_report"], image_bytes(scan_image("门禁", seed=1)), "扫描.png")
    queued = []
    app.extensions["huey_tasks"][ocr.JOB] = queued.append  # the queue is watched, no worker runs
    with app.app_context():
        s = db.session()
        row = s.get(SearchText, v["id"])
        assert row.status == ocr.PENDING
        row.error = f"OCR attempt 1 started {iso(now())}"  # a worker is on it right now
        s.commit()
        assert ocr.sweep()["queued"] == 0 and queued == []
        assert ocr.recognise(v["id"]) == ocr.PENDING  # another worker's attempt is not taken over
        s.get(SearchText, v["id"]).error = f"OCR attempt {ocr.MAX_ATTEMPTS} started {iso(now() - timedelta(hours=1))}"
        s.commit()
        assert ocr.sweep()["queued"] == 1 and queued == [v["id"]]  # stale: queued again
        assert ocr.recognise(v["id"]) == "failed"
        s.commit()
        row = s.get(SearchText, v["id"])
        assert row.status == "failed" and "gave up after 3 attempts" in row.error
        assert s.scalars(select(SearchText.status).where(SearchText.status == ocr.PENDING)).all() == []


def test_reindex_keeps_recognised_text_and_queues_failed_scans_again(actions, app, runner):
    """`flask search reindex` does not OCR a recognised scan again (its text stays searchable)
    and queues a failed one again (failed texts are retried there, explicitly)."""
    from core import db
    from search import ocr
    from search.models import SearchText
    docs = actions.deliverables()
    done = actions.upload(docs["test_report"], image_bytes(scan_image("门禁", seed=1)), "已识别.png")
    failed = actions.upload(docs["system_design"], image_bytes(scan_image("道闸", seed=2)), "失败.png")
    with app.app_context():  # what the worker would have stored (search.ocr.recognise does the same)
        from deliverables.models import Version
        from search import index_version
        from search.sandbox import Extraction
        s = db.session()
        index_version(s.get(Version, done["id"]), Extraction(ocr.RECOGNISED, "门禁系统验收报告"))
        index_version(s.get(Version, failed["id"]), Extraction("failed", error="OCR: time limit exceeded (1 s)"))
        s.commit()
        assert s.get(SearchText, failed["id"]).status == "failed"
    queued = []
    app.extensions["huey_tasks"][ocr.JOB] = queued.append
    result = runner.invoke(args=["search", "reindex", "--engine", "db"])
    assert result.exit_code == 0, result.output
    assert _status(actions, done["id"]) == ("ocr", None)
    assert version_ids(actions.search(q="门禁系统")) == {done["id"]}
    assert _status(actions, failed["id"]) == ("ocr_pending", None) and queued == [failed["id"]]
