"""A PDF with an invisible text layer from a scan, by tesseract's PDF output (chi_sim+eng).

Run as a script in its own process (renditions.scan runs it in a new session, within a wall
clock, and kills the group past it): it limits its own CPU time and address space, which the
tools it starts (pdftoppm, tesseract) inherit.

    python -P ocr_layer.py image SOURCE TARGET CPU_SECONDS MEMORY_BYTES
    python -P ocr_layer.py pdf SOURCE TARGET CPU_SECONDS MEMORY_BYTES MAX_PAGES

`image`: the image with its text layer, one page per frame. `pdf`: each of the first
MAX_PAGES pages rasterised (pdftoppm, 200 dpi, JPEG) and read by tesseract into a one-page
PDF, the pages joined with pypdf; later pages are copied as they are. Exit 0 and "PAGES
CHARS" on stdout (pages read, letters and digits recognised); otherwise EXIT_REFUSED with the reason as the last stderr line.
"""
from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

LANGUAGES = "chi_sim+eng"
DPI = 200
EXIT_REFUSED = 3


class Refused(Exception):
    """The file or a tool failed: the message is the reason."""


def _limit_self(cpu_seconds: int, memory_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _env() -> dict:
    # One thread: the worker shares the machine; OpenMP threads would also multiply the address space.
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "OMP_THREAD_LIMIT": "1", "LC_ALL": "C.UTF-8"}


def _tool(name: str) -> str:
    exe = shutil.which(name)
    if exe is None:
        raise Refused(f"{name} is not installed")
    return exe


def _run(cmd: list[str]) -> bytes:
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, env=_env())
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise Refused(f"{Path(cmd[0]).name} exit {proc.returncode}: {err[-1][:200] if err else ''}")
    return proc.stdout


def _tesseract(image: Path, outbase: Path, dpi: int | None = None) -> tuple[Path, int]:
    """tesseract's PDF of `image` and how many letters and digits it recognised."""
    _run([_tool("tesseract"), str(image), str(outbase), "-l", LANGUAGES]
         + (["--dpi", str(dpi)] if dpi else []) + ["txt", "pdf"])
    out = outbase.with_suffix(".pdf")
    if not out.is_file() or out.stat().st_size == 0:
        raise Refused("tesseract wrote no PDF")
    text = outbase.with_suffix(".txt")
    chars = sum(c.isalnum() for c in text.read_text("utf-8", "replace")) if text.is_file() else 0
    return out, chars


def image_pdf(source: Path, target: Path) -> tuple[int, int]:
    with tempfile.TemporaryDirectory(prefix="handover-ocr-pdf-") as tmp:
        out, chars = _tesseract(source, Path(tmp) / "page")
        shutil.move(str(out), str(target))
    return 1, chars


def scan_pdf(source: Path, target: Path, max_pages: int) -> tuple[int, int]:
    from pypdf import PdfReader, PdfWriter  # here: only the pdf mode joins pages

    info = _run([_tool("pdfinfo"), str(source)])
    m = re.search(rb"^Pages:\s+(\d+)", info, re.M)
    total = int(m.group(1)) if m else 1
    count = min(total, max_pages)
    writer = PdfWriter()
    chars = 0
    with tempfile.TemporaryDirectory(prefix="handover-ocr-pdf-") as tmp:
        base = Path(tmp)
        for n in range(1, count + 1):  # one page image on disk at a time
            image = base / f"p{n}"
            _run([_tool("pdftoppm"), "-r", str(DPI), "-jpeg", "-jpegopt", "quality=85", "-f", str(n), "-l", str(n),
                  "-singlefile", str(source), str(image)])
            jpg = image.with_suffix(".jpg")
            page, found = _tesseract(jpg, base / f"o{n}", DPI)
            writer.append(str(page))
            chars += found
            jpg.unlink()
        if total > count:  # pages past the limit stay as they were (no text layer)
            writer.append(PdfReader(str(source)), pages=(count, total))
        with open(target, "wb") as fh:
            writer.write(fh)
    return count, chars


def main(argv: list[str]) -> int:
    mode, source, target, cpu, memory, *rest = argv
    _limit_self(int(cpu), int(memory))
    try:
        if mode == "image":
            pages, chars = image_pdf(Path(source), Path(target))
        else:
            pages, chars = scan_pdf(Path(source), Path(target), int(rest[0]))
    except MemoryError:
        sys.stderr.write("memory limit exceeded\n")
        return EXIT_REFUSED
    except Exception as exc:  # noqa: BLE001 - reported to the parent as the reason
        sys.stderr.write(f"{type(exc).__name__}: {exc}"[:500] + "\n")
        return EXIT_REFUSED
    sys.stdout.write(f"{pages} {chars}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
