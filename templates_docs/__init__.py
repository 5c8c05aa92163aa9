"""Document skeletons: outlines as data, rendered to DOCX and Markdown with the project's facts.

Public interface::

    render_docx(facts) -> bytes        render_markdown(facts) -> str
    load_outline(key) -> Outline       outline_keys() -> list[str]
    document_number(code, key) -> str   (fallback; the register gives DocFacts.doc_no)
"""

from .docx_render import render_docx
from .facts import DocFacts, Person, document_number
from .markdown_render import render_markdown, split_front_matter
from .outline import Outline, OutlineError, load_outline, outline_keys

__all__ = [
    "DocFacts", "Person", "Outline", "OutlineError", "render_docx", "render_markdown",
    "load_outline", "outline_keys", "document_number", "split_front_matter",
]
