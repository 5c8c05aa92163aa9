"""个人设置: one's own e-mail address and which notices one wants; a project's group robot (admin).

Same operations as api/notification_views.py (notifications.settings)."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from notifications import settings as ops
from notifications.outbox import KINDS, email_enabled
from notifications.webhooks import KIND_ZH
from projects import access
from projects.permissions import may_manage_webhook, require
from web.blueprint import bp
from web.form_errors import returns_to
from web.i18n import gettext as _

# The notice kinds as the page names them (the zh strings are the gettext ids).
KIND_LABELS = {"sign": "待我签署的版本（校对、审核、批准、确认）", "rejected": "我上传的版本被驳回",
               "fault": "新申报的故障（项目经理、工程师）", "escalation": "故障升级（项目经理、甲方）",
               "reminder": "到期提醒（步骤或记录超期）"}


@bp.get("/settings")
def my_settings():
    user = g.user
    return render_template("settings.html", prefs=ops.preferences(user), kinds=KINDS, labels=KIND_LABELS,
                           mail_on=email_enabled())


@bp.post("/settings")
def my_settings_save():
    user = g.user
    returns_to(url_for("web.my_settings"))
    f = request.form
    ops.save_settings(user, email=f.get("email", ""), wanted={k: f.get(f"notice_{k}") == "1" for k in KINDS})
    flash(_("个人设置已保存。"), "ok")
    return redirect(url_for("web.my_settings"))


@bp.get("/projects/<code>/webhook")
def project_webhook_page(code):
    user = g.user
    project = access.get_project(user, code)
    require(may_manage_webhook(user, project))
    return render_template("webhook.html", project=project, hook=ops.webhook_json(project)["webhook"],
                           kinds=KIND_ZH)


@bp.post("/projects/<code>/webhook")
def project_webhook_save(code):
    user = g.user
    project = access.get_project(user, code)
    require(may_manage_webhook(user, project))
    returns_to(url_for("web.project_webhook_page", code=project.code))
    f = request.form
    url = "" if f.get("action") == "remove" else (f.get("url") or "").strip()
    ops.set_webhook(user, project, f.get("kind") or None, url)
    flash(_("群机器人已移除。") if not url else _("群机器人已保存。"), "ok")
    return redirect(url_for("web.project_webhook_page", code=project.code))
