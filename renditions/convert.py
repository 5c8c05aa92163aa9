"""One file -> one PDF (or the reason there is none), outside any database transaction.

Office documents go to LibreOffice as they are; Markdown through its sanitised HTML (front
matter dropped, raw HTML off, no images: nothing is fetched); text as escaped <pre> HTML;
images through tesseract's PDF output after a header check of their size (the image with an
invisible text layer, renditions.scan); a PDF is its own rendition (checked: readable, not
encrypted) unless it has no text layer: then its OCR'd copy. Cheap checks come first, so a ZIP bomb or a
giant image is refused in milliseconds, and LibreOffice's wall clock bounds the rest.
"""
from __future__ import annotations

import html
import zipfile
from dataclasses import dataclass
from pathlib import Path

import bleach
from markdown_it import MarkdownIt

from renditions import scan
from renditions.office import office
from search.extract import decode, strip_front_matter
from search.sandbox import Limits

OFFICE_EXT = (".docx", ".doc", ".docm", ".dotx", ".rtf", ".xlsx", ".xls", ".xlsm", ".pptx", ".ppt",
              ".odt", ".ods", ".odp", ".odg", ".wps", ".et", ".dps")
ZIP_EXT = (".docx", ".docm", ".dotx", ".xlsx", ".xlsm", ".pptx", ".odt", ".ods", ".odp", ".odg")
MD_EXT = (".md", ".markdown")
TEXT_EXT = (".txt", ".log", ".csv", ".ini", ".conf", ".yaml", ".yml", ".json")
IMAGE_EXT = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp")
PDF_EXT = (".pdf",)

MAX_UNZIPPED = 256 * 1024 * 1024  # an Office file whose parts expand past this is refused
MAX_RATIO = 200  # ... and so is one part compressed more than 200:1 past 16 MiB
MAX_PIXELS = 80_000_000
OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
MAX_TEXT = 2 * 1024 * 1024  # text and Markdown: the first 2 MiB are rendered

# Same rules as the in-page preview (web/preview.py): CommonMark + tables, raw HTML escaped,
# then bleach; no <img>, so LibreOffice never fetches anything.
_MD = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
_TAGS = ["p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "code", "pre",
         "blockquote", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "del"]
_HTML = ('<!DOCTYPE html><html><head><meta charset="utf-8"><style>body{{font-family:"Noto Sans CJK SC",sans-serif;'
         'font-size:11pt}} pre{{font-family:"Noto Sans Mono CJK SC",monospace;font-size:9pt;white-space:pre-wrap}}'
         ' table{{border-collapse:collapse}} td,th{{border:1px solid #999;padding:2pt}}</style></head>'
         '<body>{body}</body></html>')


@dataclass(frozen=True)
class Result:
    ok: bool
    converter: str
    reason: str = ""
    seconds: float = 0.0
    cold: bool = False


def kind_of(filename: str) -> str | None:
    """'office', 'markdown', 'text', 'image', 'pdf', or None: a type without a rendition."""
    name = filename.lower()
    for kind, exts in (("pdf", PDF_EXT), ("office", OFFICE_EXT), ("markdown", MD_EXT), ("text", TEXT_EXT),
                       ("image", IMAGE_EXT)):
        if name.endswith(exts):
            return kind
    return None


def zip_bomb(path: Path) -> str:
    """Why an Office (ZIP) file is refused before LibreOffice opens it, or ''."""
    try:
        with zipfile.ZipFile(path) as z:
            total = 0
            for info in z.infolist():
                total += info.file_size
                if info.file_size > 16 * 1024 * 1024 and info.file_size > MAX_RATIO * max(1, info.compress_size):
                    return f"refused: {info.filename[:60]} expands {info.file_size // max(1, info.compress_size)}:1"
                if total > MAX_UNZIPPED:
                    return f"refused: expands to more than {MAX_UNZIPPED // (1024 * 1024)} MiB"
    except zipfile.BadZipFile:
        # An OLE container (an old .doc named .docx, or a password-protected OOXML file):
        # LibreOffice judges. Anything else is corrupt (LibreOffice would show it as text).
        with open(path, "rb") as fh:
            return "" if fh.read(8) == OLE_MAGIC else "corrupt: not a valid Office file"
    except OSError as exc:
        return f"unreadable: {exc.strerror or exc}"
    return ""


def _image_check(path: Path) -> str:
    # Pillow reads the header only here (no decoding): the size of a decompression bomb shows.
    from PIL import Image  # on demand: only images need it

    try:
        with Image.open(path) as im:
            w, h = im.size
    except Exception as exc:  # anything Pillow cannot identify is not an image we render
        return f"not a readable image: {type(exc).__name__}"
    if w * h > MAX_PIXELS:
        return f"refused: image of {w}×{h} pixels"
    return ""


def _pdf_check(path: Path) -> str:
    from pypdf import PdfReader  # on demand: only PDFs need it

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            return "password-protected PDF"
        if len(reader.pages) == 0:
            return "PDF without pages"
    except Exception as exc:  # a corrupt PDF: no preview, whatever the library says
        return f"unreadable PDF: {type(exc).__name__}"
    return ""


def _write_html(body: str, target: Path) -> None:
    target.write_text(_HTML.format(body=body), encoding="utf-8")


def _read_text(path: Path) -> str:
    with open(path, "rb") as fh:
        return decode(fh.read(MAX_TEXT))


def markdown_html(text: str) -> str:
    html_ = _MD.render(strip_front_matter(text))
    return bleach.clean(html_, tags=_TAGS, attributes={"th": ["align"], "td": ["align"]}, strip=True)


def to_pdf(source: Path, filename: str, target: Path, seconds: float, profiles: Path | None = None,
           memory_mb: int | None = None, ocr: Limits | None = None) -> Result:
    """Make the PDF `target` from the blob `source` (type judged by `filename`); scratch files
    go next to `target` (a folder of this job), LibreOffice's profile under `profiles`.
    Scans (images, PDFs without a text layer) go through tesseract within `ocr` (default:
    `seconds` and `memory_mb`). A ready PDF rendition with a reason is a scan whose OCR failed."""
    workdir = target.parent
    kind = kind_of(filename)
    if kind is None:
        return Result(False, "", "no preview for this file type")
    ocr = ocr or Limits(seconds, memory_mb or 2048)
    if kind == "pdf":
        reason = _pdf_check(source)
        if reason or not scan.pdf_needs_text_layer(source, filename):
            return Result(not reason, "pdf", reason)
        # A scan: its OCR'd copy; should OCR fail, the PDF stays its own rendition (reason kept).
        ok, why, took, chars = scan.with_text_layer("pdf", source, target, ocr)
        if ok and not chars:  # blank pages, or nothing legible: the copy would add nothing
            ok, why = False, "OCR recognised no text"
        return Result(True, "tesseract", "", took) if ok else Result(True, "pdf", why, took)
    if kind == "image":  # tesseract's PDF: the image with an invisible text layer
        reason = _image_check(source)
        if reason:
            return Result(False, "tesseract", reason)
        ok, why, took, _chars = scan.with_text_layer("image", source, target, ocr)
        return Result(ok, "tesseract", why, took)
    lo = office(profiles, memory_mb)
    if kind == "office":
        reason = zip_bomb(source) if filename.lower().endswith(ZIP_EXT) else ""
        if reason:
            return Result(False, "libreoffice", reason)
        # LibreOffice picks the import filter by content; the suffix helps it for old formats.
        link = workdir / ("in" + Path(filename).suffix.lower())
        _link(source, link)
        out = lo.convert(link, target, seconds)
        return Result(out.ok, "libreoffice", out.reason, out.seconds, out.cold)
    page = workdir / "in.html"
    text = _read_text(source)
    body = markdown_html(text) if kind == "markdown" else f"<pre>{html.escape(text)}</pre>"
    _write_html(body, page)
    out = lo.convert(page, target, seconds, import_filter="HTML (StarWriter)")
    return Result(out.ok, "libreoffice-html", out.reason, out.seconds, out.cold)


def _link(source: Path, link: Path) -> None:
    """A name with the right suffix for LibreOffice, without copying the bytes."""
    try:
        link.unlink()
    except FileNotFoundError:
        pass
    link.symlink_to(source)
