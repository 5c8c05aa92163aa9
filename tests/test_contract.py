"""The contract's fixed points: error shape, OpenAPI completeness, documented settings."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


def test_every_api_route_is_in_the_openapi_document(app, client):
    doc = client.get("/api/openapi.json").json
    assert doc["openapi"].startswith("3.1")
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = _openapi_path(rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if method.lower() not in doc["paths"].get(path, {}):
                missing.append(f"{method} {path}")
    assert not missing, f"undocumented routes: {missing}"


def test_openapi_refs_resolve(client):
    doc = client.get("/api/openapi.json").json
    refs = set(re.findall(r'"\$ref": "#/([^"]+)"', __import__("json").dumps(doc)))
    for ref in refs:
        node = doc
        for part in ref.split("/"):
            assert part in node, f"dangling $ref #/{ref}"
            node = node[part]


@pytest.mark.parametrize("method,path,body", [
    ("get", "/api/nope", None), ("get", "/api/projects/NOPE", None), ("post", "/api/projects", "x"),
    ("patch", "/api/catalog", None), ("get", "/api/versions/abc/file", None), ("get", "/api/versions/0/file", None),
    ("post", "/api/deliverables/1/draft", {"format": "pdf"}), ("get", "/api/projects/P1/deliverables?phase=x", None),
])
def test_error_shape_is_pinned(client, world, method, path, body):
    kw = {"headers": world.h("pm")}
    if body is not None:
        kw["json"] = body
    r = getattr(client, method)(path, **kw)
    assert 400 <= r.status_code < 500
    assert r.is_json and set(r.json) == {"error"} and set(r.json["error"]) == {"code", "message"}
    assert r.json["error"]["code"] and r.json["error"]["message"]


def test_every_setting_is_documented_in_readme():
    from core.config import SETTINGS
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for s in SETTINGS:
        assert f"`{s.name}`" in readme, f"{s.name} is not documented in README.md"


def test_huge_and_odd_json_never_500(client, world):
    h = world.h("pm")
    for body in ({"code": "X" * 100000, "name": "n", "client": "c"}, {"code": None, "name": [], "client": {}},
                 {"code": "ok1", "name": "名" * 300, "client": "c"}, {"code": "ok2", "name": "a\x00b", "client": "c"}):
        r = client.post("/api/projects", json=body, headers=h)
        assert r.status_code == 400, (body, r.json)
    r = client.post("/api/projects", data=b"\xff\xfe\x00garbage", headers=h | {"Content-Type": "application/json"})
    assert r.status_code == 400
