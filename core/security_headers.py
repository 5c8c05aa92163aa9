"""Browser-facing protections on every answer (pages, API, errors), in one place.

- a strict Content-Security-Policy: scripts and styles only from the app's own static
  files (no inline script, no inline style, no CDN), no plugins, no framing, forms post
  only to the app. An answer that brings its own policy keeps it (downloads are sandboxed).
- X-Frame-Options DENY for browsers that predate frame-ancestors, Referrer-Policy,
  X-Content-Type-Options nosniff.
- HANDOVER_HTTPS: the session cookie is `Secure` and answers carry HSTS.
- HANDOVER_TRUSTED_PROXIES=N: Werkzeug's ProxyFix believes the last N X-Forwarded-For /
  X-Forwarded-Proto hops; without it those headers are ignored, so request.remote_addr
  (the audit trail, the login throttle) is the real peer.
"""
from __future__ import annotations

from flask import Flask, Response
from werkzeug.middleware.proxy_fix import ProxyFix

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
    "form-action 'self'",
])
HSTS = "max-age=31536000"
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


def _flag(value) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def init_app(app: Flask) -> None:
    """Add the headers to every answer; Secure cookies/HSTS and ProxyFix as configured."""
    https = _flag(app.config.get("HANDOVER_HTTPS", False))
    app.config["HANDOVER_HTTPS"] = https
    app.config["SESSION_COOKIE_SECURE"] = https
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    proxies = int(app.config.get("HANDOVER_TRUSTED_PROXIES") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    @app.after_request
    def _security_headers(resp: Response) -> Response:
        for name, value in HEADERS.items():
            resp.headers.setdefault(name, value)
        if https:
            resp.headers.setdefault("Strict-Transport-Security", HSTS)
        return resp
