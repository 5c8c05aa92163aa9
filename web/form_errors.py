"""The one error path of the pages' form posts.

A form view calls `returns_to(url)` once it knows which page the form belongs to. From then
on, an operation error (core.errors.HandoverError) raised by the view is answered here, not
in the view: the transaction is rolled back, the message is flashed in the user's language
(looked up by its code, core.messages), what the user typed is kept for the next GET of that
page (passwords and the CSRF token are not kept) and the browser goes back to the page.
Errors raised before `returns_to` (the object is not found, the role may not see the page)
and errors of scripted posts (X-Requested-With) get the error page as before.

Templates refill a form with `kept_form(action_url)`: the values typed into the form that
posted to `action_url`, or {} (a fresh form).
"""
from __future__ import annotations

from flask import Flask, flash, g, redirect, request, session
from flask_wtf.csrf import CSRFError

from core import db
from core.errors import HandoverError
from core.requests import error_response
from web.blueprint import bp
from web.i18n import error_text

KEPT = "kept_form"
NOT_KEPT = ("csrf_token",)
MAX_KEPT_CHARS = 600


def returns_to(url: str) -> None:
    """An operation error in the running form post comes back to `url` (see the module)."""
    g.form_page = url


def is_xhr() -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


def _typed_values() -> dict[str, str]:
    """The submitted form fields worth giving back: no passwords, no CSRF token, no files, and
    at most MAX_KEPT_CHARS in all (they travel in the session cookie, which browsers cap at
    4 KB; a field that does not fit, such as a long description, comes back empty)."""
    kept, room = {}, MAX_KEPT_CHARS
    for name, value in request.form.items():
        if name in NOT_KEPT or "password" in name or len(name) + len(value) > room:
            continue
        kept[name] = value
        room -= len(name) + len(value)
    return kept


@bp.errorhandler(HandoverError)
def _operation_error(exc: HandoverError):
    back = g.get("form_page")
    if back is None or request.method != "POST" or is_xhr():
        return error_response(exc.status, exc.code, exc.message, exc.params)
    db.session().rollback()
    flash(error_text(exc), "error")
    session[KEPT] = {"action": request.script_root + request.path, "values": _typed_values()}
    return redirect(back)


@bp.before_request
def _take_kept_form():
    """The kept values live for one page view: the GET that follows the redirect."""
    g.kept_form = session.pop(KEPT, None) if request.method == "GET" and KEPT in session else None


def kept_form(action: str) -> dict[str, str]:
    """The values kept for the form posting to `action` ({} when none)."""
    kept = g.get("kept_form")
    return dict(kept["values"]) if kept and kept.get("action") == action else {}


def kept_form_of_any(actions) -> tuple[str | None, dict[str, str]]:
    """(action, values) kept for a form posting to one of `actions`, or (None, {}): a form whose
    target moved on (the sign form of a version superseded meanwhile) comes back filled."""
    kept = g.get("kept_form")
    if kept and kept.get("action") in set(actions):
        return kept["action"], dict(kept["values"])
    return None, {}


def init_app(app: Flask) -> None:
    app.jinja_env.globals["kept_form"] = kept_form

    @app.errorhandler(CSRFError)
    def _csrf_failed(exc: CSRFError):
        """A form without a valid CSRF token (expired page, forged post): the error page."""
        return error_response(400, "csrf_failed", exc.description)
