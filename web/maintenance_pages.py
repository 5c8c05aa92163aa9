"""Maintenance: a project's faults (live deadlines, escalations), report/respond/restore/close,
and the recurring-records calendar. Same operations as api/maintenance_views.py."""
from __future__ import annotations

from datetime import datetime

from flask import flash, g, redirect, render_template, request, url_for

from catalog import get_catalog
from core import access, db
from core.clock import local_tz
from core.errors import HandoverError, UserValueError
from maintenance import faults as ops
from maintenance import records, reports
from maintenance.sla_rules import get_rules
from portal.download import DOCX_MIME, attachment_response
from web.error_text import error_text
from web.blueprint import bp
from web.i18n import gettext as _

EVENT_ZH = {"respond": "响应", "restore": "恢复", "close": "关闭", "hold_level": "同意保持级别", "note": "备注"}
FAULT_STATUS_ZH = {"open": "处理中", "restored": "已恢复", "closed": "已关闭"}


def _local_datetime(raw: str | None) -> datetime | None:
    """A <input type=datetime-local> value, read in HANDOVER_TZ; empty = now."""
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=local_tz())
    except ValueError:
        raise UserValueError(_("时间格式不对。"), "invalid_datetime")


@bp.get("/projects/<code>/maintenance")
def maintenance_page(code):
    user = g.user
    project = access.get_project(user, code)
    status = request.args.get("status") if request.args.get("status") in ops.FAULT_STATUSES else None
    fault_list = ops.list_faults(project, status)
    items = records.list_records(project) if project.maintenance_start else []
    rules = get_rules()
    on_demand = [r for r in get_catalog().records if r.rhythm == "on_demand"]
    return render_template("maintenance.html", project=project, faults=fault_list, records=items, rules=rules,
                           status=status, on_demand=on_demand, can_create=user.role in records.CREATE_ROLES, breaches=ops.breaches, FAULT_STATUS_ZH=FAULT_STATUS_ZH)


@bp.post("/projects/<code>/faults")
def report_fault_page(code):
    user = g.user
    project = access.get_project(user, code)
    try:
        try:
            level = int(request.form.get("level", ""))
        except ValueError:
            raise UserValueError(_("请选择故障级别。"), "invalid_level")
        title = (request.form.get("title") or "").strip()
        if not title:
            raise UserValueError(_("请填写故障标题。"), "missing_field")
        fault = ops.report_fault(user, project, level=level, title=title[:200],
                                 description=(request.form.get("description") or "").strip()[:10000],
                                 channel=request.form.get("channel", ""),
                                 reported_at=_local_datetime(request.form.get("reported_at")))
    except HandoverError as exc:
        db.session().rollback()
        flash(error_text(exc), "error")
        return redirect(url_for("web.maintenance_page", code=project.code))
    flash(_("已登记故障 {ref}。", ref=f"{project.code}-F{fault.number:03d}"), "ok")
    return redirect(url_for("web.fault_page", fault_id=fault.id))


@bp.get("/faults/<int:fault_id>")
def fault_page(fault_id):
    user = g.user
    fault = ops.get_fault(user, fault_id)
    ops.sync_escalations(fault)
    allowed = [k for k in ops.EVENT_KINDS if user.role in ops.EVENT_ROLES[k]]
    return render_template("fault.html", fault=fault, project=fault.project, rules=get_rules(),
                           breached=ops.breaches(fault), allowed=allowed, EVENT_ZH=EVENT_ZH,
                           FAULT_STATUS_ZH=FAULT_STATUS_ZH)


@bp.get("/faults/<int:fault_id>/report.docx")
def fault_report_page(fault_id):
    """The fault's 故障申报表, filled in (same as GET /api/faults/<id>/report.docx)."""
    fault = ops.get_fault(g.user, fault_id)
    name = f"{fault.project.code}-F{fault.number:03d}-故障申报表.docx"
    return attachment_response(reports.fault_report_docx(fault), name, DOCX_MIME)


@bp.post("/projects/<code>/records")
def create_record_page(code):
    """Create an on-demand record (complaint form, expansion or upgrade plan)."""
    user = g.user
    project = access.get_project(user, code)
    try:
        d = records.create_event_record(user, project, request.form.get("record_key", ""),
                                        (request.form.get("title") or "").strip()[:200])
    except HandoverError as exc:
        db.session().rollback()
        flash(error_text(exc), "error")
        return redirect(url_for("web.maintenance_page", code=project.code))
    flash(_("已新建记录 {name}。", name=d.title or d.period), "ok")
    return redirect(url_for("web.deliverable_page", deliverable_id=d.id))


@bp.post("/faults/<int:fault_id>/events")
def fault_event_page(fault_id):
    user = g.user
    fault = ops.get_fault(user, fault_id)
    kind = request.form.get("kind", "")
    try:
        if kind not in ops.EVENT_KINDS:
            raise UserValueError(_("未知操作。"), "invalid_choice")
        ops.add_event(user, fault, kind, at=_local_datetime(request.form.get("at")),
                      note=(request.form.get("note") or "").strip()[:4000])
    except HandoverError as exc:
        db.session().rollback()
        flash(error_text(exc), "error")
    else:
        flash(_("已记录：{what}", what=_(EVENT_ZH[kind])), "ok")
    return redirect(url_for("web.fault_page", fault_id=fault_id))
