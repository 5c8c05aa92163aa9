"""SLA statistics (per initial level), the weekly report's pre-filled fault table, and the
facts of a fault's 故障申报表.

Counting rules (one place):
  a fault belongs to the day (HANDOVER_TZ) it was reported and to its initial level;
  responded in time  responded_at <= respond_by
  restored in time   restored_at <= the restore deadline of the initial level
  within SLA         both of the above
  missed             a deadline passed without the action (or the action came late)
  pending            neither within nor missed yet (still inside its deadlines)
  percent            within / (within + missed) * 100, one decimal; null when nothing is decided
  escalated          faults escalated at least once; escalations: the number of steps
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Iterable

from flask import current_app
from sqlalchemy import select

from core import db
from core.clock import local_tz, now
from core.models import User
from deliverables.models import Deliverable
from projects.models import Project
from maintenance.labels import EVENT_ZH, FAULT_STATUS_ZH, fault_ref_of
from maintenance.faults import breaches, evaluate, fault_terms, hold_times, live_state
from maintenance.models import Fault
from maintenance.sla_rules import get_rules
from maintenance.weekly_report import weekly_tables
from templates_docs import DocFacts, Person, render_docx

WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
STATS_COLUMNS = ("级别", "故障数", "按时响应", "按时恢复", "升级次数")


def _bounds(date_from: date | None, date_to: date | None) -> tuple[datetime | None, datetime | None]:
    tz = local_tz()
    lo = datetime.combine(date_from, time(0), tzinfo=tz) if date_from else None
    hi = datetime.combine(date_to + timedelta(days=1), time(0), tzinfo=tz) if date_to else None
    return lo, hi


def faults_reported(project: Project, date_from: date | None, date_to: date | None) -> list[Fault]:
    """The project's faults reported on those days (HANDOVER_TZ); read only (the counts
    come from the rule, which is what the tick stores)."""
    lo, hi = _bounds(date_from, date_to)
    q = select(Fault).where(Fault.project_id == project.id)
    if lo:
        q = q.where(Fault.reported_at >= lo)
    if hi:
        q = q.where(Fault.reported_at < hi)
    return list(db.session().scalars(q.order_by(Fault.reported_at)))


def level_stats(faults: Iterable[Fault], at: datetime | None = None) -> dict[int, dict]:
    """Counters per initial level (every level present, zeros included)."""
    at = at or now()
    rules = get_rules()
    stats = {n: dict(level=n, name_zh=rules.levels[n].name_zh, faults=0, responded_in_time=0,
                     restored_in_time=0, within_sla=0, missed=0, pending=0, escalated=0, escalations=0)
             for n in rules.level_numbers}
    for f in faults:
        row = stats[f.initial_level]
        outcome = evaluate(f, at)
        late = breaches(f, at)
        responded = f.responded_at is not None and not late["respond"]
        restored = f.restored_at is not None and not outcome.restore_breached
        row["faults"] += 1
        row["responded_in_time"] += responded
        row["restored_in_time"] += restored
        row["escalated"] += bool(outcome.steps)
        row["escalations"] += len(outcome.steps)
        if responded and restored:
            row["within_sla"] += 1
        elif late["respond"] or late["restore"]:
            row["missed"] += 1
        else:
            row["pending"] += 1
    return stats


def _percent(within: int, missed: int) -> float | None:
    return round(100.0 * within / (within + missed), 1) if within + missed else None


def sla_report(project: Project, date_from: date | None = None, date_to: date | None = None) -> dict:
    """Per-level SLA figures of the faults reported in [date_from, date_to]."""
    stats = level_stats(faults_reported(project, date_from, date_to))
    levels = [dict(row, percent_within_sla=_percent(row["within_sla"], row["missed"])) for row in stats.values()]
    total = {k: sum(r[k] for r in levels) for k in ("faults", "responded_in_time", "restored_in_time",
                                                    "within_sla", "missed", "pending", "escalated", "escalations")}
    total["percent_within_sla"] = _percent(total["within_sla"], total["missed"])
    return {"levels": levels, "total": total}


def week_of(period: str) -> tuple[date, date] | None:
    m = WEEK_RE.match(period or "")
    if not m:
        return None
    try:
        monday = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        return None
    return monday, monday + timedelta(days=6)


def draft_extra(deliverable: Deliverable) -> dict:
    """DocFacts.extra for a draft: the week (period, its Monday) of a weekly record instance,
    and the week's fault table for a 系统运行报告 instance."""
    if deliverable.kind != "record":
        return {}
    week = week_of(deliverable.period)
    if week is None:
        return {}
    if deliverable.document_key != "ops_weekly_report":
        return {"period": f"{deliverable.period} ({week[0].isoformat()} 至 {week[1].isoformat()})",
                "week_start": week[0].isoformat()}
    rules = get_rules()
    faults = faults_reported(deliverable.project, *week)
    stats = level_stats(faults)
    rows = [[rules.levels[n].short_zh, r["faults"], r["responded_in_time"], r["restored_in_time"], r["escalations"]]
            for n, r in stats.items()]
    rows.append(["合计"] + [sum(r[i] for r in rows) for i in range(1, 5)])
    # SLA figures: the API's own report of the week (GET /api/projects/<code>/sla?from=Mon&to=Sun)
    tables = weekly_tables(deliverable, *week, sla_report(deliverable.project, *week), faults)
    return {"fault_stats": rows, "week_start": week[0].isoformat(), **tables,
            "period": f"{deliverable.period} ({week[0].isoformat()} 至 {week[1].isoformat()})"}


def _local(dt: datetime | None) -> str:
    return dt.astimezone(local_tz()).strftime("%Y-%m-%d %H:%M") if dt else ""


SIGN_LINE = "签字：　　　　　　日期：　　年　月　日"


def level_choices(rules, checked: int | None) -> str:
    """``□一级　■二级　□三级　□四级``: the levels as form choices, `checked` marked."""
    return "　".join(("■" if n == checked else "□") + rules.levels[n].short_zh for n in rules.level_numbers)


def fault_form(fault: Fault) -> dict:
    """The fields of the one-page 故障申报表, keyed as the form's rows.

    响应时限 / 恢复时限 are the ticket's deadlines (live_state, the SLA's own rule); 影响范围
    is the reporter's description (the ticket has no other impact field); 核定等级 is marked
    once the vendor has responded (the level it accepted: the reported one)."""
    rules = get_rules()
    s = db.session()
    reporter = s.get(User, fault.reported_by_id) if fault.reported_by_id else None
    respond = next((e for e in fault.events if e.kind == "respond"), None)
    restore = next((e for e in fault.events if e.kind == "restore"), None)
    responder = s.get(User, respond.user_id) if respond and respond.user_id else None
    live = live_state(fault)
    lines = [f"{_local(e.at)} {EVENT_ZH.get(e.kind, e.kind)}（{e.username}）{('：' + e.note) if e.note else ''}"
             for e in fault.events]
    escalations = [f"{_local(x.at)} 超时未恢复，自动升级：{rules.levels[x.from_level].short_zh} → "
                   f"{rules.levels[x.to_level].short_zh}" for x in live.escalations]
    hold = hold_times(fault)["effective_at"]
    if hold:
        escalations.append(f"{_local(hold)} 双方协商一致不再升级")
    vendor_people = [n for n in ((responder.name if responder else (respond.username if respond else "")),
                                 restore.username if restore else "") if n]
    terms = fault_terms(fault)
    respond_hours = rules.terms[terms].respond_hours[fault.channel]
    restore_hours = rules.terms[terms].restore_hours[live.level]
    return {
        "单号": fault_ref_of(fault),
        "申报单位": fault.project.client,
        "申报人": reporter.name if reporter else "",
        "联系电话": reporter.phone if reporter else "",
        "申报渠道": "　".join(("■" if k == fault.channel else "□") + v for k, v in rules.channels.items()),
        "申报时间": _local(fault.reported_at),
        "系统/设备": fault.project.name,
        "故障现象": fault.title,
        "影响范围": fault.description,
        "建议等级": level_choices(rules, fault.initial_level),
        "核定等级": level_choices(rules, fault.initial_level if fault.responded_at else None),
        "响应时限": f"{_local(live.respond_by)}（申报后 {respond_hours:g} 小时内响应）",
        "恢复时限": f"{_local(live.restore_by)}（{rules.levels[live.level].name_zh}，{restore_hours:g} 小时内恢复）",
        "受理人/时间": f"{responder.name if responder else (respond.username if respond else '')} "
                  f"{_local(fault.responded_at)}".strip(),
        "处理过程": "\n".join(sorted(lines)),
        "升级记录": "\n".join(escalations) or "无",
        "处理结果": FAULT_STATUS_ZH.get(fault.status, fault.status),
        "恢复时间": _local(fault.restored_at),
        "乙方处理人签字": f"处理人：{'、'.join(dict.fromkeys(vendor_people))}　{SIGN_LINE}" if vendor_people else SIGN_LINE,
        "甲方确认签字": SIGN_LINE,
    }


def fault_report_docx(fault: Fault) -> bytes:
    """Render the fault's 故障申报表 (DOCX) with the document renderer."""
    form = fault_form(fault)
    people = tuple(Person(name=n, role=r) for n, r in ((form["申报人"], "申报人"),) if n)
    p = fault.project
    facts = DocFacts(project_name=p.name, project_code=p.code, client=p.client,
                     vendor=p.vendor or current_app.config.get("HANDOVER_VENDOR", ""),
                     document_key="fault_report_form", document_name="故障申报表",
                     version_label="", doc_no=form["单号"], date=fault.reported_at.astimezone(local_tz()).date(),
                     people=people, extra={"fault": form})
    return render_docx(facts)
