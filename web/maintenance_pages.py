"""Maintenance: a project's faults (live deadlines, escalations), report/respond/restore/close,
and the recurring-records calendar. Same operations as api/maintenance_views.py."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from catalog import get_catalog
from projects import access, permissions
from core.errors import UserValueError
from maintenance import faults as ops
from maintenance import records, reports
from maintenance.labels import (EVENT_ZH, FAULT_STAGE_ZH, FAULT_STAGES, MISSED_ZH, RECORD_STATUS_ZH,
                                STAGE_WAITS_ZH, fault_ref_of, fault_report_filename, fault_stage, missed_deadlines)
from maintenance.sla_rules import get_rules
from portal.download import DOCX_MIME, attachment_response
from web.form_errors import returns_to
from web.form_input import form_datetime, form_text
from web.blueprint import bp
from web.i18n import current_lang, gettext as _
from web.maintenance_calendar import build_calendar, calendar_query, calendar_words

# Lists show each fault as the rule says it is now (level, deadlines, escalations, breaches):
# the pages read, the worker's tick writes.
bp.add_app_template_global(ops.live_state, "fault_live")
# What a fault waits for and which deadlines it missed: the same words on every page.
bp.add_app_template_global(fault_stage, "fault_stage")
bp.add_app_template_global(missed_deadlines, "missed_deadlines")
bp.add_app_template_global(FAULT_STAGE_ZH, "FAULT_STAGE_ZH")
bp.add_app_template_global(MISSED_ZH, "MISSED_ZH")
bp.add_app_template_global(STAGE_WAITS_ZH, "STAGE_WAITS_ZH")


@bp.get("/projects/<code>/maintenance")
def maintenance_page(code):
    user = g.user
    project = access.get_project(user, code)
    # Faults by what they wait for (?status=awaiting_response ...; open|restored|closed still work).
    stage = request.args.get("status") if request.args.get("status") in FAULT_STAGES else None
    status = request.args.get("status") if request.args.get("status") in ops.FAULT_STATUSES else None
    fault_list = [f for f in ops.list_faults(project, status) if stage is None or fault_stage(f) == stage]
    view, anchor, record_type, record_status = calendar_query(request.args)
    cal = build_calendar(project, view, anchor, record_type, record_status) if project.maintenance_start else None
    rules = get_rules()
    on_demand = [r for r in get_catalog().records if r.rhythm == "on_demand"]
    return render_template("maintenance.html", project=project, faults=fault_list, cal=cal, rules=rules,
                           stage=stage, status=status, on_demand=on_demand, record_types=get_catalog().records,
                           RECORD_STATUS_ZH=RECORD_STATUS_ZH, **(calendar_words(cal, current_lang(), _) if cal else {}),
                           can={"create_record": bool(permissions.may_create_record(user, project)),
                                                   "report_fault": bool(permissions.may_report_fault(user, project)),
                                                   "manage_project": bool(permissions.may_manage_project(user, project))})


@bp.post("/projects/<code>/faults")
def report_fault_page(code):
    user = g.user
    project = access.get_project(user, code)
    returns_to(url_for("web.maintenance_page", code=project.code))
    try:
        level = int(request.form.get("level", ""))
    except ValueError:
        raise UserValueError("Choose the fault's level.", "invalid_level") from None
    title = form_text("title", max_len=200)
    if not title:
        raise UserValueError("The fault needs a title.", "missing_title")
    fault = ops.report_fault(user, project, level=level, title=title,
                             description=form_text("description", max_len=10000, multiline=True),
                             channel=request.form.get("channel", ""),
                             reported_at=form_datetime("reported_at"))
    flash(_("已登记故障 {ref}。", ref=fault_ref_of(fault)), "ok")
    return redirect(url_for("web.fault_page", fault_id=fault.id))


@bp.get("/faults/<int:fault_id>")
def fault_page(fault_id):
    user = g.user
    fault = ops.get_fault(user, fault_id)
    allowed = permissions.fault_actions(user, fault)  # exactly what add_event would accept now
    return render_template("fault.html", fault=fault, project=fault.project, rules=get_rules(),
                           live=ops.live_state(fault), allowed=allowed, EVENT_ZH=EVENT_ZH)


@bp.get("/faults/<int:fault_id>/report.docx")
def fault_report_page(fault_id):
    """The fault's 故障申报表, filled in (same as GET /api/faults/<id>/report.docx)."""
    fault = ops.get_fault(g.user, fault_id)
    return attachment_response(reports.fault_report_docx(fault), fault_report_filename(fault), DOCX_MIME)


@bp.post("/projects/<code>/records")
def create_record_page(code):
    """Create an on-demand record (complaint form, expansion or upgrade plan)."""
    user = g.user
    project = access.get_project(user, code)
    returns_to(url_for("web.maintenance_page", code=project.code))
    d = records.create_event_record(user, project, request.form.get("record_key", ""),
                                    form_text("title", max_len=200))
    flash(_("已新建记录 {name}。", name=d.title or d.period), "ok")
    return redirect(url_for("web.deliverable_page", deliverable_id=d.id))


@bp.post("/faults/<int:fault_id>/events")
def fault_event_page(fault_id):
    user = g.user
    fault = ops.get_fault(user, fault_id)
    kind = request.form.get("kind", "")
    returns_to(url_for("web.fault_page", fault_id=fault_id))
    if kind not in ops.EVENT_KINDS:
        raise UserValueError(f"Unknown action '{kind}'.", "unknown_action")
    ops.add_event(user, fault, kind, at=form_datetime("at"),
                  note=form_text("note", max_len=4000, multiline=True))
    flash(_("已记录：{what}", what=_(EVENT_ZH[kind])), "ok")
    return redirect(url_for("web.fault_page", fault_id=fault_id))
