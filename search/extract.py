"""Text extraction for the index: DOCX, Markdown/plain text, HTML, PDF; other types: none.

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
import signal
import sys
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
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


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
    """The subprocess entry point (see the module docstring). The last line on stderr
    is always `peak_kib=N`, this process's peak resident memory."""
    path, filename, cpu, memory, output = argv
    _limit_self(int(cpu), int(memory), int(output))
    logging.disable(logging.CRITICAL)  # library warnings (pypdf) would only fill stderr
    rc, reason, data = 0, b"", b""
    try:
        data = extract(path, filename).encode("utf-8", "replace")
    except MemoryError:
        rc, reason = EXIT_MEMORY, b"memory limit exceeded"
    except _CpuLimit:
        rc, reason = EXIT_CPU, b"CPU time limit exceeded"
    except Exception as exc:  # noqa: BLE001 - reported to the parent as the reason
        rc, reason = EXIT_REFUSED, f"{type(exc).__name__}: {exc}"[:500].encode("utf-8", "replace")
    os.write(2, reason + b"\npeak_kib=%d\n" % (peak_kib() or 0))
    if rc == 0:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
