"""Login (password, throttled), logout, and the language switch."""
from __future__ import annotations

from flask import current_app, make_response, redirect, render_template, request, session, url_for

from core import audit, sessions
from core.auth import authenticate, web_user
from core.throttle import Locked, client_address
from web.blueprint import bp
from web.i18n import COOKIE, LANGS, gettext as _
from web.safe_redirect import safe_next


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        if web_user() is not None:
            return redirect(next_url)
        return render_template("login.html", next=next_url, username="", error=None)
    username = (request.form.get("username") or "").strip()
    password = request.form.get("password") or ""
    try:
        user = authenticate(username, password)
    except Locked as exc:
        error = _("登录失败次数过多，请 {n} 秒后再试。", n=exc.wait)
        return render_template("login.html", next=next_url, username=username, error=error), 429
    if user is None:
        return render_template("login.html", next=next_url, username=username,
                               error=_("用户名或密码错误。")), 401
    sessions.end(session.get("sid"))  # a session that was open in this browser ends here
    session.clear()  # a fresh cookie: no session id chosen before login survives it
    session["sid"] = sessions.start(user, client_address())
    audit.record("user.login", user, object_type="user", object_id=user.id)
    return redirect(next_url)


@bp.post("/logout")
def logout():
    """End this browser's session on the server: a saved copy of the cookie is worthless."""
    sessions.end(session.get("sid"))
    session.clear()
    return redirect(url_for("web.login"))


@bp.get("/lang/<code>")
def set_language(code):
    resp = make_response(redirect(safe_next(request.args.get("next"))))
    if code in LANGS:
        resp.set_cookie(COOKIE, code, max_age=365 * 86400, samesite="Lax", httponly=True,
                        secure=current_app.config["HANDOVER_HTTPS"])
    return resp
