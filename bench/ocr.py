"""OCR benchmark: time per A4 page, character accuracy, and search recall over scanned pages.

Usage: .venv/bin/python bench/ocr.py [--pages 20] [--pdf-pages 5]
Makes --pages scanned A4 pages at 200 dpi with a known Chinese text (12 sentences each;
tests/scan_support.py: Noto Sans CJK, slight skew, blur and noise, a signature scribble),
uploads them as PNG through the upload operation into a fresh SQLite app, and runs the
worker's OCR job (search.ocr.recognise: the bounded subprocess with tesseract chi_sim+eng)
on each, timing it. Then: character accuracy of the recognised text against the known text
(1 - edit distance / length, white space ignored; all characters, and Han characters only),
and search recall: every known sentence is searched (GET /api/search, the database's
engine) and must find each page that holds it. Also one image-only PDF of --pdf-pages
pages (pdftoppm + tesseract per page). Figures are printed, never asserted.
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from scan_support import DPI, SENTENCES, char_accuracy, image_bytes, image_pdf, page_text, scan_image  # noqa: E402

HEADING = "验收报告（扫描件）"
WORDS = ["门禁系统", "读卡器", "停车场", "道闸", "车牌识别", "视频监控", "摄像机", "不间断电源", "综合布线", "六类网线",
         "消防联动", "楼宇自控", "无线投屏", "核心交换机", "双机热备", "用户培训", "项目文档", "验收小组", "信息发布",
         "入侵报警", "电子巡更", "虚拟化", "数据备份", "增量"]
HAN = re.compile(r"[\u4e00-\u9fff]")


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def tesseract_version() -> str:
    import subprocess
    out = subprocess.run(["tesseract", "--version"], capture_output=True, text=True).stdout
    return out.splitlines()[0] if out else "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=20)
    ap.add_argument("--pdf-pages", type=int, default=5)
    args = ap.parse_args()
    print("machine:", machine())
    print("tesseract:", tesseract_version(), "(chi_sim+eng, one thread)")
    print("command:", " ".join([os.path.relpath(sys.executable, ROOT)] + sys.argv))

    from app import create_app
    from core import db
    from core.migrate import upgrade
    from core.storage import store_bytes
    from core.users import create_user
    from deliverables.models import Deliverable
    from deliverables.projects import create_project
    from deliverables.versions import add_version
    from projects.membership import add_member
    from search import ocr
    from search.models import SearchText
    from sqlalchemy import select

    data = tempfile.mkdtemp(prefix="bench-ocr-")
    app = create_app({"HANDOVER_DATA": data, "DATABASE_URL": f"sqlite:///{data}/handover.db", "SECRET_KEY": "b",
                      "HANDOVER_RENDITIONS": False})
    upgrade(app.extensions["handover.db"].kw["bind"])
    app.extensions["huey_tasks"][ocr.JOB] = lambda vid: None  # the bench runs the job itself, timed
    texts = {n: page_text(1000 + n) for n in range(args.pages)}
    with app.app_context():
        s = db.session()
        admin, _ = create_user("admin", "admin")
        pm, token = create_user("pm", "pm")
        p = create_project(admin, "OCR1", "扫描件项目", "客户")
        add_member(admin, p, pm)
        dels = list(s.scalars(select(Deliverable).where(Deliverable.project_id == p.id)))
        s.commit()
        ids, made = {}, time.perf_counter()
        pngs = {n: image_bytes(scan_image(texts[n], seed=n)) for n in texts}
        made = time.perf_counter() - made
        for n, png in pngs.items():
            v = add_version(pm, dels[n % len(dels)], store_bytes(png), f"扫描件{n:02d}.png")
            ids[n] = v.id
        s.commit()
        times = []
        for n, vid in ids.items():
            t0 = time.perf_counter()
            status = ocr.recognise(vid)
            s.commit()
            times.append(time.perf_counter() - t0)
            assert status == ocr.RECOGNISED, (n, status, s.get(SearchText, vid).error)
        acc_all, acc_han = [], []
        for n, vid in ids.items():
            got = s.get(SearchText, vid).body
            expected = HEADING + "\n" + texts[n]
            acc_all.append(char_accuracy(expected, got))
            acc_han.append(char_accuracy("".join(HAN.findall(expected)), "".join(HAN.findall(got))))
        pdf_pages = [scan_image(page_text(2000 + n), seed=50 + n) for n in range(args.pdf_pages)]
        pdf = add_version(pm, dels[0], store_bytes(image_pdf(pdf_pages)), "多页扫描.pdf")
        s.commit()
        t0 = time.perf_counter()
        status = ocr.recognise(pdf.id)
        s.commit()
        pdf_secs = time.perf_counter() - t0
        assert status == ocr.RECOGNISED, s.get(SearchText, pdf.id).error

    client = app.test_client()

    def recall(queries: list[tuple[str, str]]) -> tuple[int, int, int]:
        """(pages found, pages expected, pages returned) over (query, text that must be in the page)."""
        found = expected_pairs = hits_total = 0
        for q, needle in queries:
            want = {ids[n] for n, t in texts.items() if needle in t}
            if not want:
                continue
            r = client.get("/api/search", query_string={"q": q, "limit": 100, "all_versions": "1"},
                           headers={"Authorization": f"Bearer {token}"})
            got = {h["version_id"] for h in r.get_json()["hits"]} & set(ids.values())
            found, expected_pairs, hits_total = found + len(got & want), expected_pairs + len(want), hits_total + len(got)
        return found, expected_pairs, hits_total

    found, expected_pairs, hits_total = recall(
        [('"' + re.sub(r"[，。]", " ", sentence).strip() + '"', sentence) for sentence in SENTENCES])
    w_found, w_expected, w_hits = recall([(w, w) for w in WORDS])
    print()
    print(f"pages: {args.pages} scanned A4 pages at {DPI} dpi, {statistics.mean(len(t) for t in texts.values()):.0f} "
          f"characters of known text each (made in {made:.1f} s)")
    print(f"OCR time per A4 page (PNG, worker job incl. subprocess start and indexing): mean {statistics.mean(times):.2f} s, "
          f"median {statistics.median(times):.2f} s, max {max(times):.2f} s")
    print(f"OCR time per A4 page (image-only PDF of {args.pdf_pages} pages, pdftoppm + tesseract): "
          f"{pdf_secs / args.pdf_pages:.2f} s ({pdf_secs:.1f} s in all)")
    print(f"character accuracy (all characters, white space ignored): mean {statistics.mean(acc_all):.3f}, "
          f"min {min(acc_all):.3f}")
    print(f"character accuracy (Han characters only): mean {statistics.mean(acc_han):.3f}, min {min(acc_han):.3f}")
    print(f"search recall over the scans: {found}/{expected_pairs} = {found / expected_pairs:.3f} "
          f"(each of {len(SENTENCES)} known sentences as a phrase; precision {found}/{hits_total} = "
          f"{(found / hits_total if hits_total else 0):.3f})")
    print(f"search recall over the scans, {len(WORDS)} key words (门禁系统, 停车场, 车牌识别, …): "
          f"{w_found}/{w_expected} = {w_found / w_expected:.3f} (precision {w_found}/{w_hits})")


if __name__ == "__main__":
    main()
