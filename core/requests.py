"""Per-request transaction and the one place errors become responses.

The request commits once after a successful handler; any error rolls back. /api/
errors are JSON in the shared shape; pages get an HTML error page.
"""
from __future__ import annotations

import logging

from flask import Flask, Response, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from core import cleaning
from core.errors import HandoverError, error_body
from core.messages import LANGS, error_message

log = logging.getLogger("handover")

HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
              416: "range_not_satisfiable", 429: "too_many_requests"}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def api_message(code: str, message: str, params: dict | None = None) -> str:
    """The API's error message: the operation's English sentence, or the Chinese message of
    `code` when the client prefers Chinese (Accept-Language)."""
    if request.accept_languages.best_match(LANGS) == "zh":
        return error_message(code, "zh", params, fallback=message)
    return message


def error_response(status: int, code: str, message: str, params: dict | None = None) -> Response:
    """The error answer: JSON in the shared shape for /api/, else the HTML error page, whose
    text the template looks up by `code` in the user's language (`message` is the fallback)."""
    if g.get("db_session") is not None:
        g.db_session.rollback()
    if wants_json():
        resp = jsonify(error_body(code, api_message(code, message, params)))
        resp.status_code = status
        return resp
    try:
        html = render_template("error.html", status=status, code=code, message=message, params=params or {})
    except Exception:  # the error page itself must never fail
        log.exception("error page failed")
        html = f"<!doctype html><title>{status}</title><p>{status}</p>"
    return Response(html, status=status, mimetype="text/html")


def init_app(app: Flask) -> None:
    cleaning.init_app(app)  # bounded URL ids and the control-character guard, before any route

    @app.after_request
    def _commit(resp: Response) -> Response:
        s = g.get("db_session")
        if s is not None:
            if resp.status_code < 400:
                s.commit()
            else:
                s.rollback()
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        return resp

    @app.errorhandler(HandoverError)
    def _handover_error(exc: HandoverError):
        return error_response(exc.status, exc.code, exc.message, exc.params)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc):
        limit = app.config["HANDOVER_MAX_UPLOAD_MB"]
        if request.mimetype != "multipart/form-data":  # core.upload.OTHER_BODY_MAX
            limit = max(1, (request.max_content_length or 0) // (1024 * 1024))
        return error_response(413, "too_large", f"The request is larger than the limit of {limit} MiB.",
                              {"limit_mb": limit})

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        code = HTTP_CODES.get(exc.code or 500, "error")
        message = exc.description or exc.name
        if exc.code == 404 and wants_json():
            message = f"No endpoint {request.method} {request.path}."
        params = {"limit_mb": app.config["HANDOVER_MAX_UPLOAD_MB"]} if exc.code == 413 else None
        resp = error_response(exc.code or 500, code, message, params)
        if exc.code == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
            resp.headers["Allow"] = ", ".join(exc.valid_methods)
        return resp

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "An unexpected error occurred; it has been logged.")
