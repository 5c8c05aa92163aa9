"""Inline preview of Markdown (rendered, then sanitised with bleach) and plain text (escaped).

Uploaded Markdown is untrusted: it is rendered with markdown-it-py (CommonMark, linear
time in the input; raw HTML off), never with Python-Markdown, whose inline patterns are
quadratic or worse on input like "[[[[...a](](](...". A leading YAML front matter block
is not shown. (Generated skeletons keep Python-Markdown in templates_docs.)
"""
from __future__ import annotations

import bleach
from markdown_it import MarkdownIt
from markupsafe import Markup

from core.storage import blob_path
from deliverables.models import Version
from search.extract import decode
from search.snippet import strip_front_matter

MAX_PREVIEW = 512 * 1024
TEXT_EXT = (".txt", ".log", ".csv", ".ini", ".conf", ".yaml", ".yml", ".json")
MD_EXT = (".md", ".markdown")
ALLOWED_TAGS = ["p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "code", "pre",
                "blockquote", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "a", "del"]
ALLOWED_ATTRS = {"a": ["href", "title"], "th": ["align"], "td": ["align"]}
# CommonMark + GFM tables and ~~strikethrough~~; raw HTML is escaped, not passed through.
_MD = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
_MD.validateLink = lambda url: True  # every link becomes <a>; bleach drops unsafe protocols (javascript:)


def previewable(v: Version) -> str | None:
    name = v.filename.lower()
    if name.endswith(MD_EXT):
        return "markdown"
    if name.endswith(TEXT_EXT):
        return "text"
    return None


def render_preview(v: Version) -> tuple[str | None, object]:
    """('markdown', Markup) / ('text', str) / (None, None) when the type has no preview."""
    kind = previewable(v)
    if kind is None:
        return None, None
    with open(blob_path(v.sha256), "rb") as fh:
        text = decode(fh.read(MAX_PREVIEW))
    if kind == "text":
        return kind, text
    return kind, render_markdown(text)


def render_markdown(text: str) -> Markup:
    """Untrusted Markdown -> sanitised HTML, in time linear in the text (front matter dropped)."""
    html = _MD.render(strip_front_matter(text))
    clean = bleach.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRS,
                         protocols=["http", "https", "mailto"], strip=True)
    return Markup(clean)
