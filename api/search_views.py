"""GET /api/search: full-text search over the versions the caller may see."""
from __future__ import annotations

from flask import jsonify, request

import search as search_facade

from api import inputs
from api.blueprint import bp
from catalog import get_catalog
from projects import access
from core.auth import api_user
from core.errors import UserValueError
from deliverables.models import STATUSES


@bp.get("/search")
def search():
    user = api_user()
    q = request.args.get("q", "")
    if not q.strip():
        raise UserValueError("Query parameter 'q' is required.", "missing_query")
    cat = get_catalog()
    code = request.args.get("project") or None
    project_id = access.get_project(user, code).id if code else None
    phase = inputs.query_choice("phase", tuple(p.key for p in cat.phases))
    status = inputs.query_choice("status", STATUSES)
    document = request.args.get("document") or None
    all_versions = inputs.query_choice("all_versions", ("0", "1", "true", "false")) in ("1", "true")
    limit = inputs.query_int("limit", 20, 1, search_facade.MAX_LIMIT)
    offset = inputs.query_int("offset", 0, 0, 1_000_000)
    filters = search_facade.Filters(project_id=project_id, phase=phase, status=status, document_key=document)
    result = search_facade.query(user, q, filters, limit=limit, offset=offset, all_versions=all_versions)
    return jsonify({"total": result.total, "total_exact": result.total_exact, "limit": limit, "offset": offset,
                    "hits": result.hits})
