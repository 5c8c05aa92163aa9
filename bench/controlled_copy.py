"""Benchmark: a controlled copy (受控副本) of a 50-page PDF: every page stamped, a 签署页 added.

Run from the repository root:  .venv/bin/python bench/controlled_copy.py [--pages 50] [--runs 10]
The PDF is made from a DOCX by LibreOffice (as a rendition is), then stamped in memory.
"""
from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.rendition import make_docx  # noqa: E402
from renditions.controlled import SignLine, font, stamp_pdf  # noqa: E402
from renditions.office import Office  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=50)
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    from pypdf import PdfReader, PdfWriter  # the bench's own PDF handling
    work = Path(tempfile.mkdtemp(prefix="bench-cc-"))
    src = work / "doc.docx"
    src.write_bytes(make_docx(args.pages))
    office = Office(work)
    try:
        assert office.convert(src, work / "made.pdf", 300).ok
    finally:
        office.stop()
    reader = PdfReader(work / "made.pdf")
    writer = PdfWriter()
    for i in range(args.pages):
        writer.add_page(reader.pages[i % len(reader.pages)])
    pdf = work / "doc.pdf"
    writer.write(pdf)
    started = time.perf_counter()
    font()
    font_s = time.perf_counter() - started
    lines = [SignLine("乙方项目经理审核", "李经理", "通过", "2026-11-26 10:00", "同意"),
             SignLine("甲方验收", "王甲方", "通过", "2026-11-27 09:00", "符合合同要求，同意验收。")]
    times, size = [], 0
    for _ in range(args.runs):
        out = io.BytesIO()
        t = time.perf_counter()
        pages = stamp_pdf(pdf, out, user_name="王甲方", when=datetime(2026, 11, 27, 18, 30), title="验收报告.docx",
                          signoffs=lines, sha256="0" * 64, doc_no="P1-AC-001")
        times.append(time.perf_counter() - t)
        size = out.tell()
    print(f"controlled copy of a {args.pages}-page PDF ({pdf.stat().st_size // 1024} KiB) -> {pages} pages, "
          f"{size // 1024} KiB")
    print(f"median {statistics.median(times) * 1000:.0f} ms, worst {max(times) * 1000:.0f} ms over {args.runs} runs "
          f"(once per process: CJK font registration {font_s * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
