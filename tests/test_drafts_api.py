"""POST /api/deliverables/<id>/draft: a skeleton becomes a version like any upload."""
from __future__ import annotations

import io

import docx
import pytest


@pytest.mark.parametrize("fmt", ["docx", "md"])
def test_draft_becomes_a_filled_in_version(actions, client, world, fmt):
    d = actions.deliverable("support_manual")
    r = actions.draft(d["id"], fmt)
    assert r.status_code == 201, r.json
    v = r.json
    assert v["number"] == 1 and v["source"] == "draft" and v["filename"].endswith("." + fmt)
    data = client.get(f"/api/versions/{v['id']}/file", headers=world.h("pm")).data
    assert len(data) == v["size"]
    if fmt == "docx":
        doc = docx.Document(io.BytesIO(data))
        text = "\n".join(p.text for p in doc.paragraphs) + "".join(
            c.text for t in doc.tables for row in t.rows for c in row.cells)
    else:
        text = data.decode("utf-8")
    assert "智慧园区综合管理平台" in text and "某市城市管理局" in text and "P1-" in text
    assert "PM" in text  # the project's people are filled in
    assert "质保期后 2 小时内响应" in text  # fault levels come from maintenance/sla.yaml
    assert client.get(f"/api/deliverables/{d['id']}", headers=world.h("pm")).json["status"] == "draft"


def test_draft_default_format_and_bad_input(actions, client, world):
    d = actions.deliverable("test_plan")
    r = client.post(f"/api/deliverables/{d['id']}/draft", headers=world.h("engineer"))
    assert r.status_code == 201 and r.json["filename"].endswith(".docx")
    assert client.post(f"/api/deliverables/{d['id']}/draft", json={"format": "pdf"},
                       headers=world.h("engineer")).status_code == 400
    assert client.post(f"/api/deliverables/{d['id']}/draft", json={"format": "md"},
                       headers=world.h("client")).status_code == 403
    assert client.post(f"/api/deliverables/{d['id']}/draft", json={"format": "md"},
                       headers=world.h("pm2")).status_code == 404
