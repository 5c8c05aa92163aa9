"""Inline preview of Markdown (rendered, then sanitised with bleach) and plain text (escaped)."""
from __future__ import annotations

import bleach
import markdown
from markupsafe import Markup

from core.storage import blob_path
from deliverables.models import Version

MAX_PREVIEW = 512 * 1024
TEXT_EXT = (".txt", ".log", ".csv", ".ini", ".conf", ".yaml", ".yml", ".json")
MD_EXT = (".md", ".markdown")
ALLOWED_TAGS = ["p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "code", "pre",
                "blockquote", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "a", "del"]
ALLOWED_ATTRS = {"a": ["href", "title"], "th": ["align"], "td": ["align"]}


def previewable(v: Version) -> str | None:
    name = v.filename.lower()
    if name.endswith(MD_EXT):
        return "markdown"
    if name.endswith(TEXT_EXT):
        return "text"
    return None


def render_preview(v: Version) -> tuple[str | None, object]:
    """('markdown', Markup) / ('text', str) / (None, None) when the type has no preview."""
    from search.extract import decode
    kind = previewable(v)
    if kind is None:
        return None, None
    with open(blob_path(v.sha256), "rb") as fh:
        text = decode(fh.read(MAX_PREVIEW))
    if kind == "text":
        return kind, text
    html = markdown.markdown(text, extensions=["tables", "fenced_code"])
    clean = bleach.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRS,
                         protocols=["http", "https", "mailto"], strip=True)
    return kind, Markup(clean)
