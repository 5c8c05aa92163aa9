"""Bodies that are read whole into memory (JSON, page forms) have a small limit of their own
(core.upload.OTHER_BODY_MAX, 1 MiB): a large JSON body is a 413 in the shared error shape, never
200 MiB held per request; multipart uploads keep HANDOVER_MAX_UPLOAD_MB and stream to disk."""
from __future__ import annotations

import io

from core.upload import OTHER_BODY_MAX


def test_a_large_json_body_is_refused_before_it_is_read(client, world):
    body = b'{"code": "X", "name": "' + b"x" * (OTHER_BODY_MAX + 10) + b'", "client": "c"}'
    r = client.post("/api/projects", data=body, content_type="application/json", headers=world.h("admin"))
    assert r.status_code == 413 and r.json["error"]["code"] == "too_large"
    assert "1 MiB" in r.json["error"]["message"]
    r = client.post("/api/projects", json={"code": "SMALL", "name": "n", "client": "c"}, headers=world.h("admin"))
    assert r.status_code == 201


def test_a_multipart_upload_larger_than_that_is_still_accepted(client, world):
    ds = client.get("/api/projects/P1/deliverables", headers=world.h("engineer")).json
    data = io.BytesIO(b"y" * (3 * OTHER_BODY_MAX))
    r = client.post(f"/api/deliverables/{ds[0]['id']}/versions", headers=world.h("engineer"),
                    content_type="multipart/form-data", data={"file": (data, "big.bin")})
    assert r.status_code == 201, r.json
