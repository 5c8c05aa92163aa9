"""Jinja filters and globals: local times (HANDOVER_TZ), sizes, status badges, the user."""
from __future__ import annotations

from datetime import date, datetime

from flask import Flask, g

from core.clock import local_tz, now
from core.labels import ROLE_ZH
from deliverables.labels import STATUS_ZH
from web.i18n import gettext as _
from core.decision import may_manage_users
from projects.permissions import may_create_project
from core.auth import web_user


def localtime(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(local_tz()).strftime(fmt)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def filesize(n) -> str:
    if n is None:
        return ""
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(n)


def remaining(deadline) -> str:
    """'还剩 3小时20分' / '已超 1天2小时' style countdown from core.clock.now (translated by i18n)."""
    if deadline is None:
        return ""
    delta = deadline - now()
    secs = int(abs(delta.total_seconds()))
    days, rem = divmod(secs, 86400)
    hours, rem = divmod(rem, 3600)
    minutes = rem // 60
    parts = (f"{days}{_('天')}" if days else "") + (f"{hours}{_('小时')}" if hours else "") + f"{minutes}{_('分')}"
    return _("还剩 {t}", t=parts) if delta.total_seconds() >= 0 else _("已超 {t}", t=parts)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["filesize"] = filesize
    app.jinja_env.filters["remaining"] = remaining

    @app.context_processor
    def _globals():
        user = g.get("user")
        if "user" not in g:
            try:
                user = web_user()
            except Exception:  # error pages must render whatever failed
                user = None
        return {"current_user": user, "STATUS_ZH": STATUS_ZH, "ROLE_ZH": ROLE_ZH,
                # the navigation's 管理 link (projects.permissions answers, templates never check roles)
                "can_manage_users": user is not None and bool(may_manage_users(user)),
                "can_create_project": user is not None and bool(may_create_project(user)),
                "now": now(), "tz_name": str(local_tz())}
