"""GET /api/openapi.json: the OpenAPI 3.1 document, merged from api/openapi/*.yaml fragments."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from flask import jsonify

from api.blueprint import bp

FRAGMENTS = Path(__file__).with_name("openapi")


@lru_cache(maxsize=1)
def openapi_document() -> dict:
    """base.yaml first, then every other fragment's paths and components merged in."""
    doc = yaml.safe_load((FRAGMENTS / "base.yaml").read_text(encoding="utf-8"))
    for path in sorted(FRAGMENTS.glob("*.yaml")):
        if path.name == "base.yaml":
            continue
        frag = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for route, ops in (frag.get("paths") or {}).items():
            doc.setdefault("paths", {}).setdefault(route, {}).update(ops)
        for kind, items in (frag.get("components") or {}).items():
            doc.setdefault("components", {}).setdefault(kind, {}).update(items)
        doc.setdefault("tags", []).extend(frag.get("tags") or [])
    return doc


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())
