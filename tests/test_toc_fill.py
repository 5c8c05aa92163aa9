"""The 目录 of a generated draft gets its page numbers from the worker's LibreOffice (issue 15).

LibreOffice lays the DOCX out and updates the index (renditions/uno_toc.py); the pages are
written into our own DOCX (templates_docs/toc_pages.py), so the stored draft and its PDF both
show them without F9. A request waits HANDOVER_TOC_WAIT seconds for the worker's answer and
otherwise stores the draft as rendered (Word fills it on open)."""
from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn

from core import db
from processes import stop, wait_for_line

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(shutil.which("soffice") is None or not Path("/usr/bin/python3").exists(),
                                reason="LibreOffice is not installed")


def toc_lines(data: bytes) -> list[tuple[str, str]]:
    """(entry text, text after the last tab) of each paragraph of the TOC field's result."""
    from templates_docs.toc_pages import _toc_paragraphs, _visible_text  # the same walk as production
    doc = Document(io.BytesIO(data))
    out = []
    for p in _toc_paragraphs(doc):
        pieces = _visible_text(p)
        out.append((pieces[0], pieces[-1] if len(pieces) > 1 else ""))
    return out


def assert_paged(data: bytes) -> list[tuple[str, str]]:
    lines = toc_lines(data)
    assert len(lines) > 10
    pages = [page for _, page in lines]
    assert all(re.fullmatch(r"\d+", p) for p in pages), lines  # every entry has its page number
    assert pages[0] == "1"  # the body restarts at page 1
    assert [int(p) for p in pages] == sorted(int(p) for p in pages)
    assert int(pages[-1]) > 1
    return lines


def test_libreoffice_fills_the_toc_and_the_pdf_shows_the_pages(tmp_path):
    from renditions.office import office
    from renditions.toc import laid_out_entries
    from templates_docs import render_docx
    from templates_docs.cli import demo_facts
    from templates_docs.toc_pages import with_toc_pages

    facts = demo_facts("requirements_analysis")
    draft = render_docx(facts)
    assert all(page == "" for _, page in toc_lines(draft))  # python-docx cannot lay out pages
    entries = laid_out_entries(draft, 60, tmp_path)
    filled = with_toc_pages(draft, [tuple(e) for e in entries], facts.date)
    lines = assert_paged(filled)
    assert lines[0][0] == "1 范围"
    doc = Document(io.BytesIO(filled))
    assert doc.settings.element.find(qn("w:updateFields")) is None  # nothing left for Word to ask
    # only the 目录 changed: the rest of the document is python-docx's
    assert [p.text for p in Document(io.BytesIO(draft)).paragraphs if not p.style.name.startswith("toc")] == \
        [p.text for p in doc.paragraphs if not p.style.name.startswith("toc")]
    (tmp_path / "filled.docx").write_bytes(filled)
    assert office(tmp_path).convert(tmp_path / "filled.docx", tmp_path / "filled.pdf", 60).ok
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "filled.pdf"), "-"], capture_output=True,
                          check=True).stdout.decode("utf-8")
    assert re.search(r"1 范围\s*\.{3,}\s*1\b", text), text[:2000]


def test_entries_that_do_not_match_leave_the_draft_alone():
    from templates_docs import render_docx
    from templates_docs.cli import demo_facts
    from templates_docs.toc_pages import with_toc_pages

    facts = demo_facts("requirements_analysis")
    draft = render_docx(facts)
    n = len(toc_lines(draft))
    assert with_toc_pages(draft, [("别的标题", "1")] * n, facts.date) is None
    assert with_toc_pages(draft, [("1 范围", "1")], facts.date) is None


def _tech_deliverable(actions) -> int:
    from deliverables.models import Deliverable
    from templates_docs.outline import load_outline
    for d_id in actions.doc_ids():
        key = db.session().get(Deliverable, d_id).document_key
        try:
            outline = load_outline(key)
        except KeyError:
            continue
        if outline.profile == "tech" and not outline.form_only and not outline.record:
            return d_id
    raise AssertionError("no tech document in the world")


def _stored(app, version_id: int) -> bytes:
    from core.storage import blob_path
    from deliverables.models import Version
    with app.app_context():
        return blob_path(db.session().get(Version, version_id).sha256).read_bytes()


def test_a_draft_waits_for_a_real_worker_and_is_stored_with_page_numbers(app, actions, world, tmp_path):
    app.config.update(HANDOVER_RENDITIONS=True, HANDOVER_TOC_WAIT=90)
    with app.app_context():
        d_id = _tech_deliverable(actions)
    env = dict(os.environ, HANDOVER_DATA=app.config["HANDOVER_DATA"], DATABASE_URL=app.config["DATABASE_URL"],
               HANDOVER_REDIS_URL="", HANDOVER_RENDITIONS="1", PYTHONUNBUFFERED="1")
    log_path = tmp_path / "worker.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker", "--threads", "2"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for_line(log_path, "worker: queue", proc)
        v = actions.draft(d_id, "docx", expect=201).get_json()
    finally:
        code = stop(proc)
    assert code == 0, log_path.read_text(errors="replace")
    assert_paged(_stored(app, v["id"]))


def test_without_an_answer_in_time_the_draft_is_stored_as_rendered(app, actions, world):
    import time
    app.config.update(HANDOVER_RENDITIONS=True, HANDOVER_TOC_WAIT=0.5)  # no worker runs
    with app.app_context():
        d_id = _tech_deliverable(actions)
    started = time.monotonic()
    v = actions.draft(d_id, "docx", expect=201).get_json()
    assert time.monotonic() - started < 5
    data = _stored(app, v["id"])
    assert all(page == "" for _, page in toc_lines(data))
    assert Document(io.BytesIO(data)).settings.element.find(qn("w:updateFields")) is not None  # Word fills it
