"""Text extraction for the index: DOCX, Markdown/plain text, HTML, PDF; other types: none.

Never raises: a file that cannot be read (corrupt, encrypted, zip bomb, hostile XML)
gives "" and the version is found by its file name only. Text is capped at MAX_CHARS.
"""
from __future__ import annotations

import logging
import re
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


def extract_text(path: Path | str, filename: str) -> str:
    """Plain text of the file at `path`, judged by `filename`'s extension; "" if none."""
    ext = Path(filename).suffix.lower()
    try:
        if ext == ".docx" or ext == ".docm":
            text = docx_text(Path(path))
        elif ext in TEXT_EXT:
            text = decode(_read_capped(Path(path)))
        elif ext in HTML_EXT:
            text = html_text(decode(_read_capped(Path(path))))
        elif ext == ".pdf":
            text = pdf_text(Path(path))
        else:
            return ""
    except Exception as exc:  # noqa: BLE001 - extraction must never fail an upload
        log.warning("no text extracted from %s: %s", filename, exc)
        return ""
    return text[:MAX_CHARS]


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
    from pypdf import PdfReader
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
