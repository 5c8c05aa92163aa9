"""Administration: users (create, role, active, password, API token) and project membership.

Same operations as api/user_views.py and api/project_views.py (core.users, deliverables.projects).
"""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from core import access, db
from core import users as user_ops
from core.errors import Forbidden, HandoverError, UserValueError
from core.models import ROLES, User
from deliverables import projects as project_ops
from web.error_text import error_text
from web.blueprint import bp
from web.i18n import gettext as _


def _admin() -> User:
    if g.user.role != "admin":
        raise Forbidden("Only an admin may manage users.", "admin_only")
    return g.user


def _users_page(token_for: tuple[str, str] | None = None, status: int = 200):
    users = list(db.session().scalars(select(User).order_by(User.role, User.username)))
    projects = list(db.session().scalars(access.visible_projects(g.user)))
    return render_template("admin_users.html", users=users, roles=ROLES, token_for=token_for,
                           projects=projects), status


@bp.get("/admin/users")
def admin_users():
    _admin()
    return _users_page()


@bp.post("/admin/users")
def admin_create_user():
    actor = _admin()
    f = request.form
    try:
        user, token = user_ops.create_user(
            (f.get("username") or "").strip(), f.get("role", ""), password=f.get("password") or None,
            display_name=(f.get("display_name") or "").strip()[:100],
            organisation=(f.get("organisation") or "").strip()[:200], actor=actor)
    except HandoverError as exc:
        db.session().rollback()
        flash(error_text(exc), "error")
        return redirect(url_for("web.admin_users"))
    flash(_("已创建用户 {u}。", u=user.username), "ok")
    return _users_page((user.username, token))  # the token is shown once, in this answer only


@bp.post("/admin/users/<username>")
def admin_update_user(username):
    actor = _admin()
    user = user_ops.get_user(username)
    action = request.form.get("action")
    try:
        if action == "token":
            token = user_ops.reset_token(user, actor)
            flash(_("已为 {u} 重置 API 令牌（旧令牌已作废）。", u=user.username), "ok")
            return _users_page((user.username, token))
        if action == "password":
            user_ops.set_password(user, request.form.get("password") or "", actor)
        elif action == "update":
            role = request.form.get("role")
            user_ops.update_user(user, actor, role=role if role in ROLES else None,
                                 active=request.form.get("active") == "1")
        else:
            raise UserValueError(_("未知操作。"), "invalid_choice")
    except HandoverError as exc:
        db.session().rollback()
        flash(error_text(exc), "error")
    else:
        flash(_("已保存 {u}。", u=user.username), "ok")
    return redirect(url_for("web.admin_users"))


@bp.get("/projects/<code>/members")
def project_members(code):
    user = g.user
    project = access.get_project(user, code)
    project_ops.require_manage(user, project)
    others = list(db.session().scalars(select(User).where(User.active.is_(True)).order_by(User.username)))
    return render_template("members.html", project=project, members=project_ops.members(project), others=others)


@bp.post("/projects/<code>/members")
def project_members_change(code):
    user = g.user
    project = access.get_project(user, code)
    try:
        target = user_ops.get_user((request.form.get("username") or "").strip())
        if request.form.get("action") == "remove":
            project_ops.remove_member(user, project, target)
        else:
            project_ops.add_member(user, project, target)
    except HandoverError as exc:
        db.session().rollback()
        flash(error_text(exc), "error")
    else:
        flash(_("成员已更新。"), "ok")
    return redirect(url_for("web.project_members", code=project.code))
