"""Notification settings: one's own address and notices; a project's group-robot webhook (admin)."""
from __future__ import annotations

from flask import jsonify

from api import inputs
from api.blueprint import bp
from core.auth import api_user
from core.errors import UserValueError
from notifications import settings as ops
from notifications.webhooks import KINDS as WEBHOOK_KINDS
from projects import access
from projects.permissions import may_manage_webhook, require


@bp.get("/me/notifications")
def my_notifications():
    user = api_user()
    return jsonify({"email": user.email, "notices": ops.preferences(user)})


@bp.put("/me/notifications")
def set_my_notifications():
    user = api_user()
    body = inputs.json_body()
    notices = body.get("notices")
    if notices is not None and (not isinstance(notices, dict)
                                or not all(isinstance(v, bool) for v in notices.values())):
        raise UserValueError("'notices' must be an object of kind -> true/false.", "wrong_type")
    email = inputs.text(body, "email", required=False, default=None) if "email" in body else None
    return jsonify(ops.save_settings(user, email=email, wanted=notices))


@bp.get("/projects/<code>/webhook")
def project_webhook(code):
    user = api_user()
    project = access.get_project(user, code)
    require(may_manage_webhook(user, project))
    return jsonify(ops.webhook_json(project))


@bp.put("/projects/<code>/webhook")
def set_project_webhook(code):
    user = api_user()
    project = access.get_project(user, code)
    require(may_manage_webhook(user, project))
    body = inputs.json_body()
    url = inputs.text(body, "url", required=False, max_len=1000)
    kind = inputs.choice(body, "kind", WEBHOOK_KINDS, required=bool(url))
    return jsonify(ops.set_webhook(user, project, kind, url))
