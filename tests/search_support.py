"""Helpers shared by the search tests: uploads, sign-offs, DOCX building, queries."""
from __future__ import annotations

import io
import zipfile

DOCX_CT = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
           'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>')
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def deliverables(client, world, code="P1", who="pm") -> dict[str, int]:
    r = client.get(f"/api/projects/{code}/deliverables", headers=world.h(who))
    assert r.status_code == 200, r.get_json()
    return {d["document_key"]: d["id"] for d in r.get_json()}


def upload(client, world, did: int, filename: str, data: bytes | str, who="engineer") -> dict:
    if isinstance(data, str):
        data = data.encode("utf-8")
    r = client.post(f"/api/deliverables/{did}/versions", headers=world.h(who),
                    data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def sign_off(client, world, version_id: int, pm="pm", cl="client") -> None:
    for who in (pm, cl):
        r = client.post(f"/api/versions/{version_id}/signoffs", headers=world.h(who),
                        json={"decision": "approve", "comment": "ok"})
        assert r.status_code == 201, r.get_json()


def search(client, world, who="pm", expect=200, **params):
    r = client.get("/api/search", headers=world.h(who), query_string=params)
    assert r.status_code == expect, (r.status_code, r.get_json())
    return r.get_json()


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
