"""GET /healthz for load balancers and monitoring: the database and the job queue answer."""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from core import db

bp = Blueprint("health", __name__)
log = logging.getLogger("handover")


def _check(what: str, probe) -> tuple[str, object]:
    try:
        return "ok", probe()
    except Exception as exc:  # a health check reports failures, it never raises them
        log.warning("healthz: %s failed: %s", what, exc)
        return "error", f"{type(exc).__name__}"


@bp.get("/healthz")
def healthz():
    """200 {"status": "ok", ...} when the database and the queue answer, else 503."""
    huey = current_app.extensions["huey"]
    database, _ = _check("database", lambda: db.session().execute(text("SELECT 1")).scalar_one())
    queue, pending = _check("queue", huey.storage.queue_size)
    ok = database == "ok" and queue == "ok"
    body = {"status": "ok" if ok else "error", "database": database, "queue": queue,
            "queue_backend": "redis" if current_app.config.get("HANDOVER_REDIS_URL") else "sqlite"}
    if queue == "ok":
        body["pending_jobs"] = pending
    return jsonify(body), 200 if ok else 503
