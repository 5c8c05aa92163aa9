"""DOCX building and hit sets for the search tests; the old names of upload, sign-off and
search steps, kept for the tests that import them (new tests use the `actions` fixture)."""
from __future__ import annotations

import io
import zipfile

from actions import Actions

DOCX_CT = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
           'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>')
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def deliverables(client, world, code="P1", who="pm") -> dict[str, int]:
    """actions.deliverables for a bare client and world."""
    return Actions(client.application, client, world).deliverables(code, who)


def upload(client, world, did: int, filename: str, data: bytes | str, who="engineer") -> dict:
    """actions.upload (its arguments in the old order)."""
    return Actions(client.application, client, world).upload(did, data, filename, who)


def sign_off(client, world, version_id: int, pm="pm", cl="client") -> None:
    """actions.sign_off."""
    Actions(client.application, client, world).sign_off(version_id, pm, cl)


def search(client, world, who="pm", expect=200, **params):
    """actions.search."""
    return Actions(client.application, client, world).search(who, expect, **params)


def version_ids(result) -> set[int]:
    return {h["version_id"] for h in result["hits"]}


def _para(text: str) -> str:
    from xml.sax.saxutils import escape
    return f'<w:p><w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>'


def make_docx(body: list[str], table: list[list[str]] | None = None, header: str = "", footer: str = "") -> bytes:
    """A minimal valid DOCX (document, optional table, header and footer parts)."""
    rows = ""
    for row in table or []:
        rows += "<w:tr>" + "".join(f"<w:tc>{_para(c)}</w:tc>" for c in row) + "</w:tr>"
    tbl = f"<w:tbl>{rows}</w:tbl>" if rows else ""
    doc = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{W_NS}"><w:body>'
           + "".join(_para(p) for p in body) + tbl + "</w:body></w:document>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", DOCX_CT)
        z.writestr("word/document.xml", doc)
        if header:
            z.writestr("word/header1.xml", f'<w:hdr xmlns:w="{W_NS}">{_para(header)}</w:hdr>')
        if footer:
            z.writestr("word/footer1.xml", f'<w:ftr xmlns:w="{W_NS}">{_para(footer)}</w:ftr>')
    return buf.getvalue()


def tsvector_literal(terms: list[str]) -> str:
    """A chunk's tsvector input, grouped ('term':1,5 'other':2 ...; positions from 1): the
    reference postgres_fts.tsvector_text's one-entry-per-term form is compared with."""
    pos: dict[str, list[str]] = {}
    for i, t in enumerate(terms, 1):
        pos.setdefault(t, []).append(str(i))
    return " ".join(f"'{t}':{','.join(p)}" for t, p in pos.items())
