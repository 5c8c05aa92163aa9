"""URL rules only: the /api blueprint every route module attaches to."""
from flask import Blueprint

from core.auth import api_user

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.before_request
def _authenticate():
    # Every /api/ call needs a valid token; the OpenAPI document is public.
    from flask import request
    if request.endpoint != "api.openapi":
        api_user()
