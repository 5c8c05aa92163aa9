"""What the uploader is told: the size limit, the same file uploaded again, ZIP entry times."""
from __future__ import annotations

import io
import zipfile
from datetime import datetime, timedelta, timezone


def test_page_states_the_upload_limit(actions, client):
    d_id = actions.deliverable()["id"]
    actions.login("engineer")
    html = client.get(f"/deliverables/{d_id}").get_data(as_text=True)
    assert 'id="upload-limit"' in html and "单个文件最大 200 MB" in html
    client.get("/lang/en")
    assert "Files up to 200 MB each." in client.get(f"/deliverables/{d_id}").get_data(as_text=True)


def test_same_bytes_again_asks_first_on_the_page(actions, client):
    d_id = actions.deliverable()["id"]
    actions.login("engineer")
    assert actions.upload_page(d_id, b"first text", "a.txt").status_code == 201
    assert actions.upload_page(d_id, b"second text", "b.txt").status_code == 201
    # the bytes of V1 again, under another name: nothing is made, the answer names V1
    r = actions.upload_page(d_id, b"first text", "a-again.txt")
    assert r.status_code == 409
    body = r.get_data(as_text=True)
    assert 'data-code="same_content"' in body and "与 V1 内容相同" in body
    assert [v["number"] for v in client.get(f"/api/deliverables/{d_id}/versions", headers=actions.world.h("pm")).get_json()] == [2, 1]
    # the plain form comes back to the page with the message
    r = actions.upload_page(d_id, b"first text", "a-again.txt", xhr=False)
    assert r.status_code == 302
    assert "与 V1 内容相同" in client.get(f"/deliverables/{d_id}").get_data(as_text=True)
    # ticked "upload anyway": V3 is made and sign-off starts again
    r = actions.upload_page(d_id, b"first text", "a-again.txt", same_ok=True)
    assert r.status_code == 201 and r.json["version"] == 3
    client.get("/lang/en")
    r = actions.upload_page(d_id, b"second text", "b.txt")
    assert r.status_code == 409 and "Same content as V2" in r.get_data(as_text=True)


def test_same_bytes_in_another_deliverable_are_not_questioned(actions, client):
    a, b = actions.doc_ids(n=2)
    actions.login("engineer")
    assert actions.upload_page(a, b"shared appendix", "x.txt").status_code == 201
    assert actions.upload_page(b, b"shared appendix", "x.txt").status_code == 201


def test_api_accepts_same_bytes_and_names_the_earlier_version(actions, client):
    d_id = actions.deliverable()["id"]
    v1 = actions.upload(d_id, b"api text", "a.txt")
    assert v1["same_content_as"] is None
    actions.upload(d_id, b"other", "b.txt")
    v3 = actions.upload(d_id, b"api text", "a.txt")
    assert v3["number"] == 3 and v3["same_content_as"] == {"id": v1["id"], "number": 1}


def test_bundle_entry_times_are_beijing_time(actions, client):
    d_id = actions.deliverable()["id"]
    v = actions.upload(d_id, b"signed text", "验收.txt")
    actions.sign(v["id"], "pm")
    actions.sign(v["id"], "client")
    actions.login("client")
    r = client.get("/portal/P1/bundle.zip")
    assert r.status_code == 200
    zf = zipfile.ZipFile(io.BytesIO(r.data))
    beijing = datetime.now(timezone.utc).astimezone(timezone(timedelta(hours=8))).replace(tzinfo=None)
    for info in zf.infolist():
        stamped = datetime(*info.date_time)
        # DOS times have 2-second steps; the bundle was made a moment ago
        assert abs((stamped - beijing).total_seconds()) < 600, (info.filename, info.date_time, beijing)
