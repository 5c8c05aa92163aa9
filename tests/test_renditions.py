"""Renditions (issue 14): the worker makes a PDF of every version through a warm LibreOffice,
the preview API answers 202 then 200, hostile files end as no_preview with the worker alive,
controlled copies carry the reader's name, the time and the sha256, fsck lists renditions,
`flask renditions rebuild` makes them again, and the pdf.js page shows page 1 in Chromium.

Most tests run the queued job in-process (the same huey task the worker runs, taken from the
queue); one test runs `flask worker` as a real process."""
from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from sqlalchemy import func, select

from browser_support import browser, live_server  # noqa: F401  (fixtures)
from core import db
from processes import stop, wait_for, wait_for_line

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")


@pytest.fixture
def on(app):
    """Renditions on for this app (the suite runs with HANDOVER_RENDITIONS=0)."""
    app.config["HANDOVER_RENDITIONS"] = True
    return app


def run_queue(app) -> int:
    """Execute what is queued, as the worker would (the registered huey tasks, in-process);
    returns how many rendition jobs ran (uploads queue other jobs too, e.g. notices)."""
    huey = app.extensions["huey"]
    n = 0
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
        n += task.name == "render_version"
    return n


def docx_bytes(paragraphs: list[str], font: str | None = None, pages: int = 1) -> bytes:
    import docx  # python-docx: test data only
    from docx.oxml.ns import qn  # test data only

    d = docx.Document()
    for page in range(pages):
        for text in paragraphs:
            run = d.add_paragraph().add_run(text)
            if font:
                run.font.name = font
                run._element.rPr.rFonts.set(qn("w:eastAsia"), font)
        if page < pages - 1:
            d.add_page_break()
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
                          ).stdout.decode("utf-8")


def preview(client, world, version_id: int, who: str = "pm"):
    return client.get(f"/api/versions/{version_id}/preview", headers=world.h(who))


def status_of(app, version_id: int) -> tuple[str, str]:
    from deliverables.models import Version
    from renditions.models import Rendition
    with app.app_context():
        s = db.session()
        row = s.get(Rendition, s.get(Version, version_id).sha256)
        return (row.status, row.reason) if row else ("missing", "")


def test_docx_is_pending_then_a_pdf_with_chinese_serif_faces(on, actions, client, world, runner):
    d = actions.doc_ids(n=1)[0]
    data = docx_bytes(["门禁系统集成验收报告：各项指标符合合同要求。"], font="宋体")
    v = actions.upload(d, data, "验收报告.docx")
    r = preview(client, world, v["id"])
    assert r.status_code == 202 and r.json == {"status": "pending"}
    queued = [t.name for t in on.extensions["huey"].pending()]
    assert queued.count("render_version") == 1  # queued after the upload committed
    assert run_queue(on) == 1
    r = preview(client, world, v["id"])
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert "sandbox" in r.headers["Content-Security-Policy"]
    assert "门禁系统集成验收报告" in pdf_text(r.data)
    fonts = subprocess.run(["pdffonts", "-"], input=r.data, capture_output=True).stdout.decode()
    if not fonts:  # older pdffonts read no stdin
        tmp = Path(on.config["HANDOVER_DATA"]) / "check.pdf"
        tmp.write_bytes(r.data)
        fonts = subprocess.run(["pdffonts", str(tmp)], capture_output=True).stdout.decode()
    assert "NotoSerifCJK" in fonts  # 宋体 -> Noto Serif CJK SC (deploy/fonts/handover-fonts.conf)
    again = client.get(f"/api/versions/{v['id']}/preview", headers=world.h("pm") | {"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304
    # the same bytes uploaded again (another deliverable): made once per sha256
    v2 = actions.upload(actions.doc_ids(n=2)[1], data, "副本.docx")
    assert preview(client, world, v2["id"]).status_code == 200 and run_queue(on) == 0
    out = runner.invoke(args=["fsck"])
    assert out.exit_code == 0, out.output
    assert "renditions: 0 pending, 1 ready, 0 no_preview" in out.output


def test_pdf_markdown_text_and_image_and_types_without_preview(on, actions, client, world):
    d = actions.doc_ids(n=1)[0]
    w = PdfWriter()
    w.add_blank_page(595, 842)
    buf = io.BytesIO()
    w.write(buf)
    pdf = actions.upload(d, buf.getvalue(), "扫描件.pdf")
    md = actions.upload(d, "---\ntitle: 隐藏的前言\n---\n# 停车场方案\n\n- 道闸 **两套**\n", "方案.md")
    txt = actions.upload(d, "巡检记录：一切正常\n", "巡检.txt")
    from PIL import Image  # test data only
    img = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 30, 30)).save(img, "PNG")
    png = actions.upload(d, img.getvalue(), "现场照片.png")
    other = actions.upload(d, b"\x00\x01binary", "数据.bin")
    r = preview(client, world, other["id"])  # no rendition for the type: at once, no job
    assert r.status_code == 415 and r.json["error"]["code"] == "no_preview"
    assert "file type" in r.json["error"]["message"]
    assert run_queue(on) == 4
    r = preview(client, world, pdf["id"])
    assert r.status_code == 200 and r.data == buf.getvalue()  # a PDF is its own rendition
    text = pdf_text(preview(client, world, md["id"]).data)
    assert "停车场方案" in text and "两套" in text and "隐藏的前言" not in text
    assert "巡检记录" in pdf_text(preview(client, world, txt["id"]).data)
    r = preview(client, world, png["id"])
    assert r.status_code == 200 and len(PdfReader(io.BytesIO(r.data)).pages) == 1
    # the Markdown page keeps its HTML preview
    from web_support import login
    page = on.test_client()
    login(page, "pm")
    html = page.get(f"/versions/{md['id']}/preview").get_data(as_text=True)
    assert "<h1>停车场方案</h1>" in html and "pdf-preview" not in html


def _bomb() -> bytes:
    """A DOCX whose document.xml expands 40 MiB from a few dozen KiB."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"/>')
        z.writestr("word/document.xml", "<w:document>" + " " * (40 * 1024 * 1024) + "</w:document>")
    return buf.getvalue()


def _big_sheet(rows: int) -> bytes:
    """An XLSX of about `rows` / 60 printed pages."""
    import openpyxl  # test data only
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("台账")
    for i in range(rows):
        ws.append([i, f"设备{i}", "门禁控制器", "正常", i * 3, "2026-11-01", "巡检人", "备注备注备注"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _encrypted_odt(app, path: Path) -> None:
    """A password-protected ODT, saved by LibreOffice itself (the worker's listener, over UNO)."""
    from renditions.office import office, uno_python
    lo = office(Path(app.config["HANDOVER_DATA"]) / "renditions")
    src = path.with_suffix(".txt")
    src.write_text("机密文件\n", encoding="utf-8")
    warm = path.with_name("warm.pdf")
    assert lo.convert(src, warm, 60).ok  # starts (or reuses) the listener
    script = (
        "import sys, uno\nfrom com.sun.star.beans import PropertyValue\n"
        "def p(n, v):\n    x = PropertyValue(); x.Name, x.Value = n, v; return x\n"
        "ctx = uno.getComponentContext().ServiceManager.createInstanceWithContext("
        "'com.sun.star.bridge.UnoUrlResolver', uno.getComponentContext()).resolve("
        "'uno:socket,host=127.0.0.1,port=%s;urp;StarOffice.ComponentContext')\n"
        "desk = ctx.ServiceManager.createInstanceWithContext('com.sun.star.frame.Desktop', ctx)\n"
        "doc = desk.loadComponentFromURL(uno.systemPathToFileUrl(sys.argv[1]), '_blank', 0, (p('Hidden', True),))\n"
        "doc.storeToURL(uno.systemPathToFileUrl(sys.argv[2]), (p('FilterName', 'writer8'), p('Password', 'secret')))\n"
        "doc.close(True)\n" % lo._port)
    subprocess.run([uno_python(), "-c", script, str(src), str(path)], check=True, timeout=60)
    with zipfile.ZipFile(path) as z:
        assert b"encryption-data" in z.read("META-INF/manifest.xml")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_hostile_files_end_as_no_preview_and_the_next_file_converts(on, actions, client, world, tmp_path):
    d = actions.doc_ids(n=1)[0]
    # A limit no machine meets for 100,000 rows (a 3 s limit was met by a quiet machine).
    on.config["HANDOVER_RENDITION_SECONDS"] = 1.0
    with on.app_context():
        odt = tmp_path / "secret.odt"
        _encrypted_odt(on, odt)
    w = PdfWriter()
    w.add_blank_page(595, 842)
    w.encrypt("secret")
    enc_pdf = io.BytesIO()
    w.write(enc_pdf)
    files = {
        "bomb": (_bomb(), "炸弹.docx"),
        "sheet": (_big_sheet(100000), "两千页台账.xlsx"),
        "odt": (odt.read_bytes(), "加密.odt"),
        "pdf": (enc_pdf.getvalue(), "加密.pdf"),
        "corrupt": (os.urandom(4096), "损坏.docx"),
    }
    ids = {k: actions.upload(d, data, name)["id"] for k, (data, name) in files.items()}
    started = time.monotonic()
    run_queue(on)
    took = time.monotonic() - started
    reasons = {k: status_of(on, i) for k, i in ids.items()}
    assert all(st == "no_preview" for st, _ in reasons.values()), reasons
    assert "expands" in reasons["bomb"][1]
    assert "time limit" in reasons["sheet"][1]
    assert "password" in reasons["pdf"][1]
    assert reasons["odt"][1] and reasons["corrupt"][1]
    assert took < 60, took
    for k, i in ids.items():
        r = preview(client, world, i)
        assert r.status_code == 415 and r.json["error"]["code"] == "no_preview", (k, r.json)
    # never retried by itself: nothing is queued again, a sweep leaves them alone
    from renditions import sweep
    with on.app_context():
        assert sweep() == {"added": 0, "queued": 0}
    assert run_queue(on) == 0
    # LibreOffice was killed after the time limit and starts afresh for the next file
    on.config["HANDOVER_RENDITION_SECONDS"] = 60.0
    ok = actions.upload(d, docx_bytes(["后来的文件照常转换"]), "正常.docx")
    run_queue(on)
    assert preview(client, world, ok["id"]).status_code == 200


def test_sweep_adds_missing_rows_requeues_stale_ones_and_gives_up(on, actions, client, world, clock):
    from renditions import MAX_ATTEMPTS, render, sweep
    from renditions.models import Rendition
    d = actions.doc_ids(n=1)[0]
    on.config["HANDOVER_RENDITIONS"] = False
    old = actions.upload(d, "上线前的文件\n", "旧.txt")  # stored before renditions were on
    on.config["HANDOVER_RENDITIONS"] = True
    assert preview(client, world, old["id"]).status_code == 202
    with on.app_context():
        assert sweep() == {"added": 1, "queued": 1}
    assert run_queue(on) == 1
    assert preview(client, world, old["id"]).status_code == 200, status_of(on, old["id"])
    # a job lost between the commit and the queue: the sweep queues it once it is stale
    v = actions.upload(d, "丢失的任务\n", "丢.txt")
    on.extensions["huey"].flush()
    with on.app_context():
        assert sweep()["queued"] == 0
        clock.advance(minutes=11)
        assert sweep()["queued"] == 1
    run_queue(on)
    assert preview(client, world, v["id"]).status_code == 200
    # a row whose conversions kept killing the worker is given up, not retried forever
    v3 = actions.upload(d, "总是崩溃\n", "崩.txt")
    with on.app_context():
        s = db.session()
        sha = s.scalar(select(Rendition.sha256).where(Rendition.status == "pending"))
        s.get(Rendition, sha).attempts = MAX_ATTEMPTS
        s.commit()
        assert render(sha) == "no_preview"
    assert "gave up" in status_of(on, v3["id"])[1]


def test_rebuild_command_and_list(on, actions, client, world, runner):
    d = actions.doc_ids(n=1)[0]
    v = actions.upload(d, "重建\n", "重建.txt")
    run_queue(on)
    out = runner.invoke(args=["renditions", "list"])
    assert out.exit_code == 0 and " ready pages=1 " in out.output, out.output
    assert runner.invoke(args=["renditions", "rebuild"]).exit_code != 0
    out = runner.invoke(args=["renditions", "rebuild", "--all"])
    assert out.exit_code == 0 and "1 rendition(s) queued again" in out.output
    assert preview(client, world, v["id"]).status_code == 202
    run_queue(on)
    assert preview(client, world, v["id"]).status_code == 200
    assert runner.invoke(args=["renditions", "rebuild", "0" * 64]).exit_code != 0


def test_controlled_copy_is_stamped_audited_and_only_for_signed_off_versions(on, actions, client, world):
    from core.models import AuditEntry
    d = actions.doc_ids(n=1)[0]
    v = actions.upload(d, docx_bytes(["系统集成验收报告正文"], pages=3), "验收报告.docx")
    run_queue(on)
    r = client.get(f"/api/versions/{v['id']}/controlled-copy", headers=world.h("pm"))
    assert r.status_code == 409 and r.json["error"]["code"] == "not_signed_off"
    actions.sign_off(v["id"])
    with on.app_context():
        before = db.session().scalar(select(func.count()).select_from(AuditEntry)
                                     .where(AuditEntry.action == "version.controlled_copy"))
    r = client.get(f"/api/versions/{v['id']}/controlled-copy", headers=world.h("client"))
    assert r.status_code == 200 and r.mimetype == "application/pdf", r.data[:300]
    assert "attachment" in r.headers["Content-Disposition"]
    pages = PdfReader(io.BytesIO(r.data)).pages
    preview_pages = len(PdfReader(io.BytesIO(preview(client, world, v["id"]).data)).pages)
    assert len(pages) == preview_pages + 1
    text = pdf_text(r.data)
    assert "CLIENT" in text and "2026-11-25 10:00" in text  # the reader's name, Asia/Shanghai time
    assert "受控副本" in text and "签署页" in text and v["sha256"] in text
    assert "PM" in text and "通过" in text
    first = pdf_text(r.data).split("\f")[0]
    assert "受控副本 · CLIENT" in first  # every page carries the stamp
    with on.app_context():
        after = db.session().scalar(select(func.count()).select_from(AuditEntry)
                                    .where(AuditEntry.action == "version.controlled_copy"))
    assert after == before + 1
    # the page's button (signed-off, rendition ready) downloads the same, audited too
    from web_support import login
    page = on.test_client()
    login(page, "client")
    html = page.get(f"/deliverables/{d}").get_data(as_text=True)
    assert f'/versions/{v["id"]}/controlled-copy' in html
    r = page.get(f"/versions/{v['id']}/controlled-copy")
    assert r.status_code == 200 and "受控副本 · CLIENT" in pdf_text(r.data)
    assert page.get(f"/versions/{v['id']}/preview.pdf").status_code == 200
    # visibility: the one rule (outsiders and another project's client see nothing)
    for who in ("outsider", "client2"):
        assert client.get(f"/api/versions/{v['id']}/controlled-copy", headers=world.h(who)).status_code == 404
        assert preview(client, world, v["id"], who).status_code == 404



def test_the_clients_bundle_holds_controlled_copies_beside_the_originals(on, actions, client, world):
    import csv
    import hashlib
    d = actions.doc_ids(n=1)[0]
    v = actions.upload(d, docx_bytes(["交付包里的受控副本"]), "移交清单.docx")
    run_queue(on)
    actions.sign_off(v["id"])
    r = client.get("/api/projects/P1/bundle", headers=world.h("client"))
    assert r.status_code == 200
    z = zipfile.ZipFile(io.BytesIO(r.data))
    rows = list(csv.DictReader(io.StringIO(z.read("MANIFEST.csv").decode("utf-8-sig"))))
    kinds = {row["kind"]: row for row in rows}
    assert set(kinds) == {"original", "controlled_copy"}
    assert kinds["controlled_copy"]["path"].endswith("移交清单-受控副本.pdf")
    for row in rows:
        data = z.read(row["path"])
        assert hashlib.sha256(data).hexdigest() == row["sha256"] and int(row["size"]) == len(data)
    text = pdf_text(z.read(kinds["controlled_copy"]["path"]))
    assert "受控副本 · CLIENT" in text and v["sha256"] in text and "交付包里的受控副本" in text


def test_a_real_worker_renders_uploads_and_survives_a_bomb(on, actions, client, world, tmp_path):
    d = actions.doc_ids(n=1)[0]
    good = actions.upload(d, docx_bytes(["真实的工作进程"]), "工作进程.docx")
    bomb = actions.upload(d, _bomb(), "炸弹.docx")
    env = dict(os.environ, HANDOVER_DATA=on.config["HANDOVER_DATA"], DATABASE_URL=on.config["DATABASE_URL"],
               HANDOVER_REDIS_URL="", HANDOVER_RENDITIONS="1", PYTHONUNBUFFERED="1")
    log_path = tmp_path / "worker.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker", "--threads", "2"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for_line(log_path, "worker: queue", proc)
        wait_for(lambda: preview(client, world, good["id"]).status_code == 200, seconds=90)
        wait_for(lambda: preview(client, world, bomb["id"]).status_code == 415, seconds=30)
        assert proc.poll() is None  # still running
        later = actions.upload(d, "之后上传的文本\n", "之后.txt")
        wait_for(lambda: preview(client, world, later["id"]).status_code == 200, seconds=60)
    finally:
        code = stop(proc)
    log = log_path.read_text(errors="replace")
    assert code == 0, log
    assert "rendition of 工作进程.docx" in log


@pytest.mark.browser
def test_the_preview_page_shows_page_1_pages_zooms_and_finds_on_desktop_and_phone(on, actions, live_server, browser):
    from browser_support import login as browser_login, new_page
    from playwright.sync_api import expect  # browser tests only
    d = actions.doc_ids(n=1)[0]
    v = actions.upload(d, docx_bytes(["停车场道闸验收记录，第一页。", "门禁控制器运行正常。"], pages=3), "验收记录.docx")
    page = new_page(browser)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    browser_login(page, live_server, "pm")
    page.goto(f"{live_server}/versions/{v['id']}/preview")
    expect(page.locator(".pdf-status")).to_contain_text("正在生成预览")  # 202 while the worker has not run
    run_queue(on)
    page.wait_for_selector("#pdf-preview[data-rendered='1']", timeout=30000)
    assert page.inner_text(".pdf-count") == "3"
    assert page.locator(".page[data-page-number='1'] canvas").count() == 1
    page.click("button[data-act=next]")
    expect(page.locator(".pdf-page")).to_have_value("2")
    width = page.evaluate("document.querySelector('.page').getBoundingClientRect().width")
    page.click("button[data-act=zoomin]")
    wait_for(lambda: page.evaluate("document.querySelector('.page').getBoundingClientRect().width") > width * 1.2,
             seconds=10)
    page.fill(".pdf-find", "门禁控制器")
    expect(page.locator(".pdf-status")).to_have_text(re.compile(r"\d+ / 3"))
    assert page.locator(".textLayer .highlight").count() >= 1
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems

    phone = new_page(browser, width=390, height=844)
    browser_login(phone, live_server, "pm")
    phone.goto(f"{live_server}/versions/{v['id']}/preview")
    phone.wait_for_selector("#pdf-preview[data-rendered='1']", timeout=30000)
    box = phone.evaluate("document.querySelector('.page').getBoundingClientRect().width")
    assert 200 < box <= 390
    assert phone.evaluate("document.documentElement.scrollWidth") <= 392  # no sideways scrolling
