"""Text extraction for the index: DOCX, Markdown/plain text, HTML, PDF; other types: none.

PDF text comes from poppler's pdftotext (it maps CJK glyphs through the fonts' ToUnicode
tables correctly), run as a child of the bounded subprocess (it inherits its limits;
search.sandbox kills the whole process group at the wall-clock limit); pypdf is the
fallback where poppler-utils is missing. A Markdown file's leading YAML front matter is
not part of its text. Images have no text here: search.ocr reads them in the worker.

extract() raises on a file that cannot be read (corrupt, encrypted, zip bomb, hostile
XML); extract_text() never raises and gives "" instead. Text is capped at MAX_CHARS.

This module imports nothing from the app, so it also runs as a script: the bounded
subprocess of search.sandbox (`python -P extract.py FILE NAME CPU_S MEMORY_B OUTPUT_B`)
limits its own CPU time, address space and output size with setrlimit before it opens
the file, writes the text (UTF-8) to stdout and exits 0, or writes the reason to stderr
and exits EXIT_REFUSED / EXIT_MEMORY / EXIT_CPU; its last stderr line is its peak memory.
"""
from __future__ import annotations

import logging
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import zipfile
from html.parser import HTMLParser
from pathlib import Path

from defusedxml import ElementTree as SafeET

log = logging.getLogger("handover.search")

MAX_CHARS = 5_000_000
MAX_ZIP_ENTRIES = 2_000
MAX_ZIP_TOTAL = 200 * 1024 * 1024   # uncompressed bytes of all entries
MAX_ZIP_PART = 50 * 1024 * 1024     # uncompressed bytes of one XML part we read
MAX_ZIP_RATIO = 200                 # uncompressed / compressed, per entry
MAX_PDF_PAGES = 2_000

TEXT_EXT = {".txt", ".md", ".markdown", ".csv", ".log", ".text", ".rst", ".json", ".yaml", ".yml", ".xml", ".sql"}
HTML_EXT = {".html", ".htm", ".xhtml"}
MD_EXT = {".md", ".markdown"}
IMAGE_EXT = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# A leading YAML front matter block: '---' on the first line up to a closing '---' or '...' line.
_FRONT_MATTER = re.compile(r"---[ \t]*\r?\n(?:.*?\r?\n)??(?:---|\.\.\.)[ \t]*(?:\r?\n|$)", re.S)
MAX_FRONT_MATTER = 64 * 1024


def front_matter_end(text: str) -> int:
    """Offset just past a leading YAML front matter block (0 when there is none)."""
    m = _FRONT_MATTER.match(text, 0, MAX_FRONT_MATTER)
    return m.end() if m else 0


def strip_front_matter(text: str) -> str:
    """`text` without a leading YAML front matter block."""
    return text[front_matter_end(text):]


class Refused(Exception):
    """The file looks hostile or absurd; index the file name only."""


EXIT_REFUSED = 3   # unreadable or hostile: the reason is on stderr
EXIT_MEMORY = 4    # the address-space limit was reached
EXIT_CPU = 5       # the CPU-time limit was reached


def kind_of(filename: str) -> str | None:
    """'docx', 'text', 'html', 'pdf', or None when the type has no text extraction."""
    ext = Path(filename).suffix.lower()
    if ext in (".docx", ".docm"):
        return "docx"
    if ext in TEXT_EXT:
        return "text"
    if ext in HTML_EXT:
        return "html"
    if ext == ".pdf":
        return "pdf"
    return None


def extract(path: Path | str, filename: str) -> str:
    """Plain text of the file at `path`, judged by `filename`'s extension ("" for other
    types); raises on a file that cannot be read."""
    kind = kind_of(filename)
    if kind == "docx":
        text = docx_text(Path(path))
    elif kind == "text":
        text = decode(_read_capped(Path(path)))
        if Path(filename).suffix.lower() in MD_EXT:
            text = strip_front_matter(text.lstrip("\ufeff"))
    elif kind == "html":
        text = html_text(decode(_read_capped(Path(path))))
    elif kind == "pdf":
        text = pdf_text(Path(path))
    else:
        return ""
    return text[:MAX_CHARS]


def extract_text(path: Path | str, filename: str) -> str:
    """Like extract(), but "" for a file that cannot be read (in-process: no bounds)."""
    try:
        return extract(path, filename)
    except Exception as exc:  # noqa: BLE001 - extraction must never fail an upload
        log.warning("no text extracted from %s: %s", filename, exc)
        return ""


def _read_capped(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(MAX_CHARS * 4)


def decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM, also UTF-16 with BOM), else GB18030, else UTF-8 with replacement."""
    if raw.startswith(b"\xff\xfe") or raw.startswith(b"\xfe\xff"):
        return raw.decode("utf-16", errors="replace")
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="replace")


def check_zip(zf: zipfile.ZipFile) -> None:
    """Refuse archives whose entry count, total size or compression ratio is absurd."""
    infos = zf.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        raise Refused(f"{len(infos)} zip entries")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > MAX_ZIP_PART and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
            raise Refused(f"zip entry {info.filename} expands {info.file_size} bytes")
    if total > MAX_ZIP_TOTAL:
        raise Refused(f"zip expands to {total} bytes")


def _read_part(zf: zipfile.ZipFile, name: str) -> bytes:
    """One entry, reading at most MAX_ZIP_PART bytes whatever the header claims."""
    with zf.open(name) as fh:
        data = fh.read(MAX_ZIP_PART + 1)
    if len(data) > MAX_ZIP_PART:
        raise Refused(f"zip entry {name} too large")
    return data


def _ooxml_text(xml: bytes) -> str:
    """Paragraph text of a WordprocessingML part (body, header, footer, notes), tables included."""
    root = SafeET.fromstring(xml, forbid_dtd=True)
    out: list[str] = []
    for p in root.iter(W + "p"):
        parts = []
        for el in p.iter():
            if el.tag == W + "t" and el.text:
                parts.append(el.text)
            elif el.tag in (W + "tab",):
                parts.append("\t")
            elif el.tag in (W + "br", W + "cr"):
                parts.append("\n")
        out.append("".join(parts))
    return "\n".join(out)


def docx_text(path: Path) -> str:
    """Document body (paragraphs and tables), headers, footers, footnotes and endnotes."""
    with zipfile.ZipFile(path) as zf:
        check_zip(zf)
        names = zf.namelist()
        parts = ["word/document.xml"]
        parts += sorted(n for n in names if re.fullmatch(r"word/(header|footer)\d*\.xml", n))
        parts += [n for n in ("word/footnotes.xml", "word/endnotes.xml") if n in names]
        texts = []
        size = 0
        for name in parts:
            if name not in names:
                continue
            texts.append(_ooxml_text(_read_part(zf, name)))
            size += len(texts[-1])
            if size > MAX_CHARS:
                break
    return "\n".join(texts)


class _HTMLText(HTMLParser):
    SKIP = {"script", "style", "template", "noscript"}
    BLOCK = {"p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "title", "section",
             "article", "pre", "table", "ul", "ol", "blockquote"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skip += 1
        elif tag in self.BLOCK:
            self.out.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skip:
            self.skip -= 1
        elif tag in self.BLOCK:
            self.out.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


def html_text(source: str) -> str:
    parser = _HTMLText()
    parser.feed(source)
    parser.close()
    return "".join(parser.out)


def pdf_text(path: Path) -> str:
    """The PDF's text layer, pages separated by form feeds (pdftotext; pypdf without it)."""
    exe = shutil.which("pdftotext")
    if exe is None:
        return _pypdf_text(path)
    data, rc, err, capped = _run_tool([exe, "-enc", "UTF-8", "-l", str(MAX_PDF_PAGES), str(path), "-"])
    if capped:
        return data.decode("utf-8", "replace")
    _check_tool("pdftotext", rc, err)
    return data.decode("utf-8", "replace")


def _run_tool(cmd: list[str], env: dict | None = None) -> tuple[bytes, int, str, bool]:
    """Run a command-line tool (it inherits this process's limits): (stdout, at most
    MAX_CHARS * 4 bytes; exit code; the end of stderr; whether stdout was cut)."""
    with tempfile.TemporaryFile() as err_file, subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err_file, env=env) as proc:
        data = proc.stdout.read(MAX_CHARS * 4)
        capped = bool(proc.stdout.read(1))
        if capped:
            proc.kill()  # enough text: the rest would be cut anyway
        rc = proc.wait()
        err_file.seek(max(0, err_file.seek(0, os.SEEK_END) - 2000))
        err = err_file.read().decode("utf-8", "replace").strip()
    return data, rc, err, capped


def _check_tool(name: str, rc: int, err: str) -> None:
    """Raise for a tool's failure: its CPU limit as such, a PDF password, else the reason."""
    if rc == 0:
        return
    if rc in (-signal.SIGXCPU, -signal.SIGKILL):
        raise _CpuLimit()
    if "password" in err.lower():
        raise Refused("encrypted PDF (a password is needed)")
    last = err.splitlines()[-1][:200] if err else ""
    raise Refused(f"{name} exit {rc}: {last}")


OCR_LANGUAGES = "chi_sim+eng"
OCR_DPI = 200            # PDF pages are rasterised at this resolution (A4: 1654 x 2339 pixels)
MAX_OCR_PAGES = 100      # pages of one PDF read by OCR (the time limit usually ends it first)
MAX_OCR_PIXELS = 80_000_000  # an A3 page scanned at 600 dpi is 70 million pixels


def ocr_text(path: Path | str, filename: str) -> str:
    """Text recognised by tesseract (Chinese and English) in an image (PNG, JPEG, TIFF) or
    in a PDF's pages (rasterised one by one by pdftoppm); pages separated by form feeds.
    Raises on a file the tools cannot read, or when a tool is missing."""
    tesseract = shutil.which("tesseract")
    if tesseract is None:
        raise Refused("tesseract is not installed")
    # One thread: the worker shares the machine; OpenMP threads would also multiply the address space.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "OMP_THREAD_LIMIT": "1", "LC_ALL": "C.UTF-8"}
    ext = Path(filename).suffix.lower()
    if ext in IMAGE_EXT:
        _check_image(Path(path))
        return _tesseract(tesseract, str(path), env)
    if ext != ".pdf":
        return ""
    pdfinfo, pdftoppm = shutil.which("pdfinfo"), shutil.which("pdftoppm")
    if pdfinfo is None or pdftoppm is None:
        raise Refused("poppler-utils is not installed")
    info, rc, err, _capped = _run_tool([pdfinfo, str(path)], env)
    _check_tool("pdfinfo", rc, err)
    m = re.search(rb"^Pages:\s+(\d+)", info, re.M)
    count = min(int(m.group(1)) if m else 1, MAX_OCR_PAGES)
    pages: list[str] = []
    with tempfile.TemporaryDirectory(prefix="handover-ocr-") as tmp:
        out = Path(tmp) / "page"
        for n in range(1, count + 1):  # one page at a time: one page image on disk at once
            # PGM, uncompressed: poppler's PNG encoder costs seconds a page; the file is
            # bounded by RLIMIT_FSIZE (pages up to about A2 at 200 dpi)
            _data, rc, err, _capped = _run_tool([pdftoppm, "-r", str(OCR_DPI), "-gray", "-f", str(n),
                                                 "-l", str(n), "-singlefile", str(path), str(out)], env)
            if rc == -signal.SIGXFSZ:
                raise Refused(f"page {n} is too large to read by OCR")
            _check_tool("pdftoppm", rc, err)
            image = out.with_suffix(".pgm")
            pages.append(_tesseract(tesseract, str(image), env))
            image.unlink()
            if sum(map(len, pages)) > MAX_CHARS:
                break
    return "\f".join(pages)


def _check_image(path: Path) -> None:
    """Refuse what is not a PNG, JPEG or TIFF, or has absurd dimensions (a decompression
    bomb: tesseract would fail its allocations quietly and recognise nothing)."""
    from PIL import Image  # on demand: only OCR of images needs it (reads the header only)
    Image.MAX_IMAGE_PIXELS = None  # we judge the size ourselves, with a clearer reason
    with Image.open(path) as im:
        if im.format not in ("PNG", "JPEG", "TIFF", "MPO"):
            raise Refused(f"not a PNG, JPEG or TIFF image ({im.format})")
        w, h = im.size
        frames = getattr(im, "n_frames", 1)
    if w * h > MAX_OCR_PIXELS:
        raise Refused(f"image too large for OCR ({w} x {h} pixels)")
    if frames > MAX_OCR_PAGES:
        raise Refused(f"too many pages for OCR ({frames})")


def _tesseract(exe: str, image: str, env: dict) -> str:
    data, rc, err, capped = _run_tool([exe, image, "stdout", "-l", OCR_LANGUAGES], env)
    if not capped:
        _check_tool("tesseract", rc, err)
    return data.decode("utf-8", "replace")


def _pypdf_text(path: Path) -> str:
    from pypdf import PdfReader  # on demand: a large import, only PDFs need it
    reader = PdfReader(str(path))
    if reader.is_encrypted:
        try:
            reader.decrypt("")
        except Exception:  # noqa: BLE001
            return ""
    out: list[str] = []
    size = 0
    for i, page in enumerate(reader.pages):
        if i >= MAX_PDF_PAGES or size > MAX_CHARS:
            break
        t = page.extract_text() or ""
        out.append(t)
        size += len(t)
    return "\n".join(out)


class _CpuLimit(BaseException):
    """Raised by the SIGXCPU handler: the soft CPU limit was reached."""


def _on_sigxcpu(signum, frame):
    raise _CpuLimit()


def _limit_self(cpu_seconds: int, memory_bytes: int, output_bytes: int) -> None:
    signal.signal(signal.SIGXCPU, _on_sigxcpu)  # the hard limit (one second later) kills outright
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (output_bytes, output_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def peak_kib(pid: int | str = "self") -> int | None:
    """Peak resident memory (VmHWM) of a process, in KiB; None if unknown."""
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, MemoryError):
        pass
    return None


def main(argv: list[str]) -> int:
    """The subprocess entry point (see the module docstring; a sixth argument `ocr` reads
    the file by OCR instead). The last line on stderr is always `peak_kib=N`, the peak
    resident memory of this process or of the largest tool it ran."""
    path, filename, cpu, memory, output, *mode = argv
    _limit_self(int(cpu), int(memory), int(output))
    logging.disable(logging.CRITICAL)  # library warnings (pypdf) would only fill stderr
    rc, reason, data = 0, b"", b""
    try:
        read = ocr_text if mode == ["ocr"] else extract
        data = read(path, filename).encode("utf-8", "replace")
    except MemoryError:
        rc, reason = EXIT_MEMORY, b"memory limit exceeded"
    except _CpuLimit:
        rc, reason = EXIT_CPU, b"CPU time limit exceeded"
    except Exception as exc:  # noqa: BLE001 - reported to the parent as the reason
        rc, reason = EXIT_REFUSED, f"{type(exc).__name__}: {exc}"[:500].encode("utf-8", "replace")
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB: the largest tool run
    os.write(2, reason + b"\npeak_kib=%d\n" % max(peak_kib() or 0, children))
    if rc == 0:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
