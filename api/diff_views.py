"""The text diff between two versions of one deliverable (issue 14)."""
from __future__ import annotations

from flask import jsonify, request

from api.blueprint import bp
from core.auth import api_user
from search import diff


@bp.get("/versions/<int:version_id>/diff")
def version_diff(version_id):
    """{"from", "to", "added", "removed", "diff", "truncated"} from version `against` to this one."""
    user = api_user()
    return jsonify(diff.diff_json(diff.compare(user, version_id, request.args.get("against"))))
