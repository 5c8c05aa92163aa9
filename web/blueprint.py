"""The `web` blueprint: every page needs a logged-in user except the login and language pages."""
from __future__ import annotations

from flask import Blueprint, g, redirect, request, url_for

from core.auth import web_user

bp = Blueprint("web", __name__)

PUBLIC = {"web.login", "web.set_language"}


@bp.before_request
def _require_login():
    user = web_user()
    if user is None and request.endpoint not in PUBLIC:
        return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
    g.user = user
    return None
