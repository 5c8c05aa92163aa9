"""Renditions of scans keep a text layer (issue 14, point 4): an image, or a PDF without a text
layer (search.ocr.needs_ocr decides, the same rule as for search), becomes a PDF with tesseract's
invisible text under the page image, so the preview's find and a copied passage work.

tesseract runs in renditions/ocr_layer.py, a process in its own session with a CPU and
address-space limit (inherited by pdftoppm and tesseract) and a wall clock: past it the whole
process group is killed. Limits: HANDOVER_OCR_SECONDS and HANDOVER_OCR_MEMORY_MB (the OCR's,
search.ocr.limits); at most MAX_PAGES pages of a PDF are read, later pages are copied as they are.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from renditions import ocr_layer
from search.ocr import needs_ocr
from core.bounded_process import run_bounded
from search.sandbox import Limits, extract_file

MAX_PAGES = 100
STARTUP_SECONDS = 2.0


def pdf_needs_text_layer(source: Path, filename: str) -> bool:
    """True for a PDF whose text layer is (nearly) empty: the search's rule, on the search's
    bounded extraction (a PDF it cannot read is left to the caller's checks)."""
    return needs_ocr(filename, extract_file(source, filename))


def with_text_layer(mode: str, source: Path, target: Path, limits: Limits,
                    max_pages: int = MAX_PAGES) -> tuple[bool, str, float, int]:
    """Write `target`, the scan `source` ("image" or "pdf") with a text layer, within `limits`:
    (ok, reason when not, seconds, letters and digits recognised). Never raises for the
    file's content."""
    cpu = max(1, int(limits.seconds + 0.999))
    cmd = [sys.executable, "-P", ocr_layer.__file__, mode, str(source), str(target), str(cpu),
           str(limits.memory_mb * 1024 * 1024)] + ([str(max_pages)] if mode == "pdf" else [])
    started = time.monotonic()
    # The wall clock kills its children (tesseract, pdftoppm) too.
    with run_bounded(cmd, limits.seconds + STARTUP_SECONDS) as run:
        seconds = time.monotonic() - started
        if run.timed_out:
            return False, f"OCR time limit exceeded ({limits.seconds:g} s)", seconds, 0
        if run.rc == 0 and target.is_file() and target.stat().st_size > 0:
            run.out.seek(0)
            _pages, _, chars = run.out.read(100).decode("ascii", "replace").strip().partition(" ")
            return True, "", seconds, int(chars) if chars.isdigit() else 0
        lines = run.stderr_tail().strip().splitlines()
    rc = run.rc
    reason = lines[-1] if lines else ""
    if rc < 0:
        reason = f"OCR stopped by signal {-rc} (CPU {cpu} s / memory {limits.memory_mb} MiB limit)"
    elif "memory" in reason.lower() or "alloc" in reason.lower():
        reason = f"OCR memory limit exceeded ({limits.memory_mb} MiB): {reason}"
    return False, (f"OCR failed: {reason}" if not reason.startswith("OCR") else reason)[:300], seconds, 0
