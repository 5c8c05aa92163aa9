"""Setting up a project in the pages (issue 16): create (/projects/new), edit its fields
(/projects/<code>/edit) and its members (/projects/<code>/members).

The same operations as the JSON API (deliverables.projects.create_project,
projects.membership.update_project / add_member / remove_member), so the rules live there
and in projects.permissions; the pages only offer what those allow.
"""
from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for

from core import users as user_ops
from core.errors import UserValueError
from core.roles import CLIENT, PM
from deliverables.projects import create_project
from maintenance.records import materialize
from projects import access, permissions
from projects import membership as ops
from web.blueprint import bp
from web.form_errors import returns_to
from web.form_input import form_date, form_text
from web.i18n import gettext as _

DATE_FIELDS = ("start_date", "warranty_until", "maintenance_start")


def _fields() -> dict:
    """The project fields of the form, cleaned as the API cleans them (lengths, dates)."""
    out = {"name": form_text("name", max_len=200), "client": form_text("client", max_len=200),
           "vendor": form_text("vendor", max_len=200),
           "description": form_text("description", max_len=5000, multiline=True)}
    out.update({name: form_date(name) for name in DATE_FIELDS})
    return out


@bp.get("/projects/new")
def project_new():
    user = g.user
    permissions.require(permissions.may_create_project(user))
    vendor_people = [u for u in ops.candidates_for_new() if u.id != user.id]
    return render_template("project_form.html", project=None, vendor_people=vendor_people,
                           organisations=ops.client_organisations(),
                           default_vendor=current_app.config["HANDOVER_VENDOR"])


@bp.post("/projects/new")
def project_create():
    user = g.user
    permissions.require(permissions.may_create_project(user))
    returns_to(url_for("web.project_new"))  # refused: back to the form, refilled
    f = _fields()
    project = create_project(user, form_text("code", max_len=64), f.pop("name"), f.pop("client"), **f)
    for username in request.form.getlist("members"):
        ops.add_member(user, project, user_ops.get_user(username))
    materialize(project)  # the record instances up to today, as the API does
    flash(_("已创建项目 {code}。请添加甲方人员。", code=project.code), "ok")
    if permissions.may_manage_members(user, project):
        return redirect(url_for("web.project_members", code=project.code))
    return redirect(url_for("web.project_register", code=project.code))


@bp.get("/projects/<code>/edit")
def project_edit(code):
    user = g.user
    project = access.get_project(user, code)
    permissions.require(permissions.may_manage_project(user, project))
    return render_template("project_form.html", project=project, vendor_people=[], organisations=ops.client_organisations(),
                           default_vendor=project.vendor)


@bp.post("/projects/<code>/edit")
def project_update(code):
    user = g.user
    project = access.get_project(user, code)
    permissions.require(permissions.may_manage_project(user, project))
    returns_to(url_for("web.project_edit", code=project.code))
    f = _fields()
    changes = {k: v for k, v in f.items() if k in ops.UPDATABLE
               and (v != getattr(project, k) if k in DATE_FIELDS else v != (getattr(project, k) or ""))}
    if changes:
        ops.update_project(user, project, changes)
        if "maintenance_start" in changes:
            materialize(project)  # as PATCH /api/projects/<code>: the instances show at once
    flash(_("项目已保存。") if changes else _("没有改动。"), "ok")
    return redirect(url_for("web.project_edit", code=project.code))


# --- members --------------------------------------------------------------------------------

def _member_rows(user, project) -> list[dict]:
    """The members with what the page offers for each: remove, remove after a confirmation
    (oneself), or nothing and why (the last pm)."""
    members = ops.members(project)
    pm_ids = [m.id for m in members if m.role == PM]
    rows = []
    for m in members:
        decision = permissions.may_remove_member(user, project, m, pm_ids)
        rows.append({"user": m, "removable": bool(decision), "why": decision.code if not decision else "",
                     "confirm": bool(decision) and m.id == user.id})
    return rows


@bp.get("/projects/<code>/members")
def project_members(code):
    user = g.user
    project = access.get_project(user, code)
    permissions.require(permissions.may_manage_members(user, project))
    offered = ops.candidates(project)
    confirm = request.args.get("confirm_remove") or ""
    rows = _member_rows(user, project)
    confirm_row = next((r for r in rows if r["user"].username == confirm and r["removable"]), None)
    return render_template("members.html", project=project, rows=rows, confirm_row=confirm_row,
                           vendor_people=[u for u in offered if u.role != CLIENT],
                           client_people=[u for u in offered if u.role == CLIENT],
                           can_edit=bool(permissions.may_manage_project(user, project)))


@bp.post("/projects/<code>/members")
def project_members_change(code):
    user = g.user
    project = access.get_project(user, code)
    back = url_for("web.project_members", code=project.code)
    returns_to(back)
    username = (request.form.get("username") or "").strip()
    if not username:
        raise UserValueError("Field 'username' is required.", "missing_field")
    target = user_ops.get_user(username)
    members = ops.members(project)
    is_member = any(m.id == target.id for m in members)
    if request.form.get("action") == "remove":
        if not is_member:
            flash(_("{u} 不是本项目成员。", u=target.username), "info")
            return redirect(back)
        # the refusal (the last pm) before asking to confirm; the operation checks again, locked
        permissions.require(permissions.may_remove_member(user, project, target,
                                                          [m.id for m in members if m.role == PM]))
        if target.id == user.id and request.form.get("confirm") != "1":
            return redirect(url_for("web.project_members", code=project.code, confirm_remove=target.username))
        ops.remove_member(user, project, target)
        flash(_("已将 {u} 移出本项目。", u=target.username), "ok")
        if target.id == user.id and not access.is_member(user, project.id):
            return redirect(url_for("web.portfolio"))  # no longer sees the project
        return redirect(back)
    if is_member:
        permissions.require(permissions.may_manage_members(user, project))
        flash(_("{u} 已是本项目成员，未作改动。", u=target.username), "info")
        return redirect(back)
    ops.add_member(user, project, target)
    flash(_("已添加 {u}。", u=target.username), "ok")
    return redirect(back)
