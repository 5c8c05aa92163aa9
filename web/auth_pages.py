"""Login (password, throttled), logout, and the language switch."""
from __future__ import annotations

from flask import make_response, redirect, render_template, request, session, url_for
from sqlalchemy import select

from core import audit, db
from core.auth import check_password, web_user
from core.models import User
from web.blueprint import bp, safe_next
from web.i18n import COOKIE, LANGS, gettext as _
from web.login_throttle import get_throttle


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        if web_user() is not None:
            return redirect(next_url)
        return render_template("login.html", next=next_url, username="", error=None)
    username = (request.form.get("username") or "").strip()
    password = request.form.get("password") or ""
    ip = request.remote_addr or ""
    throttle = get_throttle()
    wait = throttle.locked_for(username, ip)
    if wait:
        error = _("登录失败次数过多，请 {n} 秒后再试。", n=wait)
        return render_template("login.html", next=next_url, username=username, error=error), 429
    user = db.session().scalar(select(User).where(User.username == username)) if username else None
    if user is None or not user.active or not check_password(user, password):
        throttle.failed(username, ip)
        return render_template("login.html", next=next_url, username=username,
                               error=_("用户名或密码错误。")), 401
    throttle.succeeded(username, ip)
    session.clear()
    session["uid"] = user.id
    session["pwv"] = user.password_hash[-16:]
    audit.record("user.login", user, object_type="user", object_id=user.id)
    return redirect(next_url)


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("web.login"))


@bp.get("/lang/<code>")
def set_language(code):
    resp = make_response(redirect(safe_next(request.args.get("next"))))
    if code in LANGS:
        resp.set_cookie(COOKIE, code, max_age=365 * 86400, samesite="Lax", httponly=True)
    return resp
