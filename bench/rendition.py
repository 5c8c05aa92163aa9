"""Benchmark: a 20-page DOCX to PDF through LibreOffice, cold (a new soffice per conversion,
as `soffice --convert-to pdf` does) vs warm (the worker's long-lived listener), in one run.

Run from the repository root:  .venv/bin/python bench/rendition.py [--runs 5] [--pages 20]
"""
from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from renditions.office import Office, soffice_binary, _font_env  # noqa: E402


def make_docx(pages: int) -> bytes:
    import docx  # python-docx: the test document
    d = docx.Document()
    for p in range(pages):
        d.add_heading(f"第{p + 1}章 门禁与停车场系统集成验收", 1)
        for _ in range(4):
            d.add_paragraph("本项目门禁系统与停车场管理系统的集成测试已经完成，各项指标符合合同要求，"
                            "设备运行稳定，文档齐全，同意进入验收阶段。" * 2)
        table = d.add_table(rows=4, cols=4)
        for r, row in enumerate(table.rows):
            for c, cell in enumerate(row.cells):
                cell.text = f"项{r}-{c}"
        if p < pages - 1:
            d.add_page_break()
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def pages_of(pdf: Path) -> int:
    from pypdf import PdfReader  # only to report the page count
    return len(PdfReader(pdf).pages)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--pages", type=int, default=20)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-rendition-"))
    src = work / "doc.docx"
    src.write_bytes(make_docx(args.pages))
    cold = []
    for i in range(args.runs):
        profile = work / f"cold-profile-{i}"
        started = time.perf_counter()
        subprocess.run([soffice_binary(), "--headless", f"-env:UserInstallation={profile.as_uri()}",
                        "--convert-to", "pdf", "--outdir", str(work / f"cold{i}"), str(src)],
                       capture_output=True, check=True, env=_font_env(), timeout=300)
        cold.append(time.perf_counter() - started)
    office = Office(work)
    warm, first = [], None
    try:
        for i in range(args.runs + 1):
            out = work / f"warm{i}.pdf"
            result = office.convert(src, out, 300)
            assert result.ok, result.reason
            if result.cold:
                first = result.seconds  # the listener's own start, once per worker process
            else:
                warm.append(result.seconds)
    finally:
        office.stop()
    n = pages_of(work / "warm1.pdf")
    print(f"DOCX of {args.pages} sections -> PDF of {n} pages, {args.runs} runs each")
    print(f"cold (soffice --convert-to, new process and profile each time): median {statistics.median(cold):.2f} s, "
          f"worst {max(cold):.2f} s")
    print(f"warm (one listener, UNO socket): first job incl. start {first:.2f} s; then median "
          f"{statistics.median(warm):.2f} s, worst {max(warm):.2f} s "
          f"({statistics.median(cold) / statistics.median(warm):.1f}x faster)")


if __name__ == "__main__":
    main()
