"""Administration: users (create, role, active, password, API token); project membership is
web/project_setup_pages.py.

Same operations as api/user_views.py and api/project_views.py (core.users, deliverables.projects).
"""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from core import db
from projects import access, permissions
from core import users as user_ops
from core.errors import UserValueError
from core.models import User
from core.roles import ROLES
from web.blueprint import bp
from web.form_errors import returns_to
from web.i18n import gettext as _


def _admin() -> User:
    permissions.require(permissions.may_manage_users(g.user))  # the operations check again
    return g.user


def _users_page(token_for: tuple[str, str] | None = None, status: int = 200):
    users = list(db.session().scalars(select(User).order_by(User.role, User.username)))
    projects = list(db.session().scalars(access.visible_projects(g.user)))
    return render_template("admin_users.html", users=users, roles=ROLES, token_for=token_for,
                           last_admin_id=user_ops.last_admin_id(),  # offered neither demotion nor disabling
                           projects=projects), status


@bp.get("/admin/users")
def admin_users():
    _admin()
    return _users_page()


@bp.post("/admin/users")
def admin_create_user():
    actor = _admin()
    returns_to(url_for("web.admin_users"))  # refused: back to the form, refilled (web.form_errors)
    f = request.form
    user, token = user_ops.create_user(
        (f.get("username") or "").strip(), f.get("role", ""), password=f.get("password") or None,
        display_name=(f.get("display_name") or "").strip()[:100],
        organisation=(f.get("organisation") or "").strip()[:200], email=f.get("email") or "", actor=actor)
    flash(_("已创建用户 {u}。", u=user.username), "ok")
    return _users_page((user.username, token))  # the token is shown once, in this answer only


@bp.post("/admin/users/<username>")
def admin_update_user(username):
    actor = _admin()
    user = user_ops.get_user(username)
    action = request.form.get("action")
    returns_to(url_for("web.admin_users"))
    if action == "token":
        token = user_ops.reset_token(user, actor)
        flash(_("已为 {u} 重置 API 令牌（旧令牌已作废）。", u=user.username), "ok")
        return _users_page((user.username, token))
    if action == "password":
        user_ops.set_password(user, request.form.get("password") or "", actor)
    elif action == "update":
        role = request.form.get("role")
        user_ops.update_user(user, actor, role=role if role in ROLES else None,
                             active=request.form.get("active") == "1", email=request.form.get("email"),
                             organisation=request.form.get("organisation"))
    else:
        raise UserValueError(f"Unknown action '{action}'.", "unknown_action")
    flash(_("已保存 {u}。", u=user.username), "ok")
    return redirect(url_for("web.admin_users"))
