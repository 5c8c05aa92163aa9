"""Maintenance API: fault tickets, SLA statistics, recurring records. Parse, call, shape."""
from __future__ import annotations


from flask import request

from api.blueprint import bp
from portal.download import DOCX_MIME, attachment_response
from api.inputs import choice, integer, json_body, parse_date, parse_datetime, query_choice, text
from projects import access
from core.auth import api_user
from core.clock import iso, local_tz
from core.errors import UserValueError
from maintenance import faults as ops
from maintenance import check_items, records, reports
from maintenance.labels import FAULT_STAGE_ZH, fault_ref_of, fault_report_filename, fault_stage, missed_deadlines
from maintenance.sla_rules import get_rules


def _event_json(e) -> dict:
    return {"id": e.id, "kind": e.kind, "at": iso(e.at), "user": e.username, "role": e.role, "note": e.note,
            "created_at": iso(e.created_at)}


def fault_json(fault, *, detail: bool = False) -> dict:
    """A fault as the rule says it is now (ops.live_state): the same whether or not the
    worker's tick has stored it yet."""
    rules = get_rules()
    hold = ops.hold_times(fault)
    live = ops.live_state(fault)
    out = {
        "id": fault.id, "project": fault.project.code, "number": fault.number,
        "ref": fault_ref_of(fault),
        "level": live.level, "initial_level": fault.initial_level, "level_name_zh": rules.levels[live.level].name_zh,
        "status": fault.status, "stage": fault_stage(fault), "stage_zh": FAULT_STAGE_ZH[fault_stage(fault)],
        "title": fault.title, "description": fault.description, "channel": fault.channel,
        "terms": ops.fault_terms(fault),
        "reported_at": iso(fault.reported_at), "respond_by": iso(live.respond_by), "restore_by": iso(live.restore_by),
        "responded_at": iso(fault.responded_at), "restored_at": iso(fault.restored_at),
        "closed_at": iso(fault.closed_at),
        "breached": live.breached, "missed": missed_deadlines(live.breached),
        "compensation": rules.levels[fault.initial_level].compensation,
        "hold": {k: iso(v) for k, v in hold.items()},
        "escalations": [{"from": e.from_level, "to": e.to_level, "at": iso(e.at)} for e in live.escalations],
    }
    if detail:
        out["events"] = [_event_json(e) for e in fault.events]
    return out


def _range() -> tuple:
    date_from = parse_date(request.args.get("from"), "from")
    date_to = parse_date(request.args.get("to"), "to")
    if date_from and date_to and date_from > date_to:
        raise UserValueError("'from' must not be after 'to'.", "invalid_range")
    return date_from, date_to


@bp.post("/projects/<code>/faults")
def report_fault(code):
    user = api_user()
    project = access.get_project(user, code)
    body = json_body()
    fault = ops.report_fault(
        user, project, level=integer(body, "level"), title=text(body, "title"),
        description=text(body, "description", required=False, max_len=10000, multiline=True),
        channel=choice(body, "channel", get_rules().channel_keys),
        reported_at=parse_datetime(body.get("reported_at"), "reported_at", local_tz()))
    return fault_json(fault, detail=True), 201


@bp.get("/projects/<code>/faults")
def list_faults(code):
    project = access.get_project(api_user(), code)
    status = query_choice("status", ops.FAULT_STATUSES)
    return [fault_json(f) for f in ops.list_faults(project, status)]


@bp.get("/faults/<int:fault_id>")
def get_fault(fault_id):
    fault = ops.get_fault(api_user(), fault_id)
    return fault_json(fault, detail=True)


@bp.post("/faults/<int:fault_id>/events")
def add_fault_event(fault_id):
    user = api_user()
    fault = ops.get_fault(user, fault_id)
    body = json_body()
    event = ops.add_event(user, fault, choice(body, "kind", ops.EVENT_KINDS),
                          at=parse_datetime(body.get("at"), "at", local_tz()),
                          note=text(body, "note", required=False, max_len=4000, multiline=True))
    return {**fault_json(fault, detail=True), "event": _event_json(event)}, 201


@bp.get("/faults/<int:fault_id>/report.docx")
def fault_report_docx(fault_id):
    fault = ops.get_fault(api_user(), fault_id)
    return attachment_response(reports.fault_report_docx(fault), fault_report_filename(fault), DOCX_MIME)


@bp.get("/projects/<code>/sla")
def sla_report(code):
    project = access.get_project(api_user(), code)
    date_from, date_to = _range()
    out = reports.sla_report(project, date_from, date_to)
    return {"project": project.code, "from": date_from and date_from.isoformat(),
            "to": date_to and date_to.isoformat(), **out}


@bp.get("/sla/rules")
def sla_rules():
    rules = get_rules()
    return {
        "levels": [{"level": n, "name_zh": lv.name_zh, "meaning_zh": lv.meaning_zh, "compensation": lv.compensation}
                   for n, lv in sorted(rules.levels.items())],
        "channels": [{"key": k, "name_zh": v} for k, v in rules.channels.items()],
        "terms": [{"key": t.key, "name_zh": t.name_zh, "respond_hours": dict(t.respond_hours),
                   "restore_hours": {str(k): v for k, v in t.restore_hours.items()}} for t in rules.terms.values()],
        "escalation": {"step": rules.step, "top_level": rules.top_level},
    }


def record_json(item: records.RecordItem) -> dict:
    d = item.deliverable
    return {"record_key": item.record_key, "name_zh": item.name_zh, "period": d.period, "due_at": iso(d.due_at),
            "status": item.status, "deliverable_id": d.id, "doc_no": d.doc_no, "title": d.title,
            "submitted_at": iso(item.submitted_at)}


@bp.get("/projects/<code>/records")
def list_records(code):
    project = access.get_project(api_user(), code)
    date_from, date_to = _range()
    keys = tuple(r.key for r in records.get_catalog().records)
    return [record_json(i) for i in records.list_records(project, date_from, date_to, query_choice("record_key", keys))]


@bp.post("/projects/<code>/records")
def create_record(code):
    user = api_user()
    project = access.get_project(user, code)
    body = json_body()
    d = records.create_event_record(user, project, text(body, "record_key", max_len=64),
                                    text(body, "title", required=False))
    return record_json(records.describe([d])[0]), 201


@bp.get("/projects/<code>/check-items")
def get_check_items(code):
    project = access.get_project(api_user(), code)
    items, default = check_items.project_items(project)
    return {"items": items, "default": default}


@bp.put("/projects/<code>/check-items")
def put_check_items(code):
    user = api_user()
    project = access.get_project(user, code)
    check_items.require_editor(user, project)  # before reading the body: a refusal is 403, not 400
    items = check_items.set_items(user, project, json_body().get("items"))
    return {"items": items, "default": False}
