"""Uploads, downloads, numbering and hostile file names over HTTP."""
from __future__ import annotations

import hashlib
import io
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import unquote

import pytest


def test_upload_and_download_exact_bytes(actions, client, world):
    d = actions.deliverable()
    data = bytes(range(256)) * 1000
    v = actions.upload(d["id"], data, "项目 实施方法论.docx", note="初稿")
    assert v["number"] == 1 and v["size"] == len(data) and v["sha256"] == hashlib.sha256(data).hexdigest()
    assert v["filename"] == "项目 实施方法论.docx" and v["created_at"].endswith("+08:00")
    r = client.get(f"/api/versions/{v['id']}/file", headers=world.h("engineer"))
    assert r.status_code == 200 and r.data == data
    assert r.headers["ETag"] == f'"{v["sha256"]}"'
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    cd = r.headers["Content-Disposition"]
    assert cd.startswith("attachment;") and 'filename="' in cd
    assert unquote(cd.split("filename*=UTF-8''")[1]) == "项目 实施方法论.docx"
    assert cd.split('filename="')[1].split('"')[0].isascii()
    r = client.get(f"/api/versions/{v['id']}/file", headers=world.h("engineer") | {"If-None-Match": r.headers["ETag"]})
    assert r.status_code == 304
    r = client.get(f"/api/versions/{v['id']}/file", headers=world.h("engineer") | {"Range": "bytes=10-19"})
    assert r.status_code == 206 and r.data == data[10:20]


def test_same_bytes_stored_once_and_versions_newest_first(actions, app, client, world):
    d = actions.deliverable()
    v1 = actions.upload(d["id"], b"same", "a.txt")
    v2 = actions.upload(d["id"], b"same", "b.txt")
    assert v1["sha256"] == v2["sha256"] and (v1["number"], v2["number"]) == (1, 2)
    blobs = list((app.config["HANDOVER_DATA"] and __import__("pathlib").Path(app.config["HANDOVER_DATA"]) / "blobs")
                 .glob("*/*/*"))
    assert len(blobs) == 1
    r = client.get(f"/api/deliverables/{d['id']}/versions", headers=world.h("pm")).json
    assert [x["number"] for x in r] == [2, 1] and r[0]["signoffs"] == []


def test_html_and_svg_are_never_served_inline(actions, client, world):
    d = actions.deliverable()
    v = actions.upload(d["id"], b"<svg onload=alert(1)>", "x.svg")
    r = client.get(f"/api/versions/{v['id']}/file", headers=world.h("pm"))
    assert r.mimetype == "application/octet-stream" and r.headers["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize("raw,expected", [
    ("../../x", "x"), ("..\\..\\win.ini", "win.ini"), ("a\x00b.txt", "ab.txt"),
    ("<img src=x onerror=alert(1)>.txt", "<img src=x onerror=alert(1)>.txt"), ("测试报告.docx", "测试报告.docx"),
])
def test_hostile_file_names_are_cleaned(actions, client, world, raw, expected):
    d = actions.deliverable()
    v = actions.upload(d["id"], b"content", raw)
    assert v["filename"] == expected
    r = client.get(f"/api/versions/{v['id']}/file", headers=world.h("pm"))
    assert "\r" not in r.headers["Content-Disposition"] and "\n" not in r.headers["Content-Disposition"]


def test_crlf_in_an_rfc5987_file_name_is_removed(actions, client, world):
    d = actions.deliverable()
    body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.txt\"; "
            b"filename*=UTF-8''line%0D%0Abreak%E6%B5%8B.txt\r\nContent-Type: text/plain\r\n\r\nhello\r\n--XyZ--\r\n")
    r = client.post(f"/api/deliverables/{d['id']}/versions", headers=world.h("engineer"), data=body,
                    content_type="multipart/form-data; boundary=XyZ")
    assert r.status_code == 201, r.json
    assert r.json["filename"] in ("linebreak测.txt", "x.txt")
    assert "\r" not in r.json["filename"] and "\n" not in r.json["filename"]


def test_thousand_character_name_is_capped_at_255_bytes(actions):
    d = actions.deliverable()
    v = actions.upload(d["id"], b"content", "文" * 1000 + ".pdf")
    assert len(v["filename"].encode("utf-8")) <= 255 and v["filename"].endswith(".pdf")


def test_empty_missing_and_too_large(actions, app, client, world):
    d = actions.deliverable()
    url = f"/api/deliverables/{d['id']}/versions"
    h = world.h("engineer")
    r = client.post(url, headers=h, data={"file": (io.BytesIO(b""), "empty.txt")}, content_type="multipart/form-data")
    assert r.status_code == 400 and r.json["error"]["code"] == "empty_file"
    r = client.post(url, headers=h, data={"note": "no file"}, content_type="multipart/form-data")
    assert r.status_code == 400 and r.json["error"]["code"] == "missing_file"
    r = client.post(url, headers=h, json={"file": "x"})
    assert r.status_code == 400
    app.config["HANDOVER_MAX_UPLOAD_MB"] = 1
    r = client.post(url, headers=h, data={"file": (io.BytesIO(b"x" * (1024 * 1024 + 10)), "big.bin")},
                    content_type="multipart/form-data")
    assert r.status_code == 413 and r.json["error"]["code"] == "too_large"
    assert client.get(f"/api/deliverables/{d['id']}/versions", headers=h).json == []
    tmp = __import__("pathlib").Path(app.config["HANDOVER_DATA"]) / "blobs" / "tmp"
    assert not any(tmp.glob("*")), "temp files of failed uploads are removed"


def test_clients_and_others_cannot_upload_or_reach_other_projects(actions, client, world):
    d = actions.deliverable()
    r = client.post(f"/api/deliverables/{d['id']}/versions", headers=world.h("client"),
                    data={"file": (io.BytesIO(b"x"), "x.txt")}, content_type="multipart/form-data")
    assert r.status_code == 403
    r = client.post(f"/api/deliverables/{d['id']}/versions", headers=world.h("pm2"),
                    data={"file": (io.BytesIO(b"x"), "x.txt")}, content_type="multipart/form-data")
    assert r.status_code == 404
    v = actions.upload(d["id"], b"secret", "s.txt")
    for who in ("pm2", "client2", "outsider"):
        assert client.get(f"/api/versions/{v['id']}/file", headers=world.h(who)).status_code == 404
        assert client.get(f"/api/deliverables/{d['id']}/versions", headers=world.h(who)).status_code == 404


def test_sixteen_concurrent_uploads_get_numbers_1_to_16(actions, app, world):
    clients = [app.test_client() for _ in range(16)]
    d = actions.deliverable()

    def send(i):
        r = clients[i].post(f"/api/deliverables/{d['id']}/versions", headers=world.h("engineer"),
                            data={"file": (io.BytesIO(f"version {i}".encode() * 1000), f"v{i}.txt")},
                            content_type="multipart/form-data")
        return r.status_code, r.json

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(send, range(16)))
    assert [s for s, _ in results] == [201] * 16, results
    assert sorted(j["number"] for _, j in results) == list(range(1, 17))
    listed = clients[0].get(f"/api/deliverables/{d['id']}/versions", headers=world.h("pm")).json
    assert [v["number"] for v in listed] == list(range(16, 0, -1))
    r = clients[0].get("/api/projects/P1/deliverables", headers=world.h("pm")).json
    assert next(x for x in r if x["id"] == d["id"])["latest_version"]["number"] == 16
