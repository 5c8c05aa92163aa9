"""The 系统运行报告's tables from the database (issue 15): the week's SLA figures, its faults
and the maintenance records due in it.

The SLA table is the same `sla_report` the API answers (GET /api/projects/<code>/sla with
from = the week's Monday, to = its Sunday), so the report and the API never disagree; its
cells are written by :func:`sla_rows`. Faults are those reported in the week (HANDOVER_TZ),
records those whose due date (or creation, for on-demand ones) falls in it.
"""
from __future__ import annotations

from datetime import date, datetime

from core.clock import local_tz
from deliverables.models import Deliverable
from maintenance.labels import FAULT_STAGE_ZH, RECORD_STATUS_ZH, fault_ref_of, fault_stage
from maintenance.models import Fault
from maintenance.records import list_records
from maintenance.sla_rules import get_rules

SLA_COLUMNS = ("级别", "故障数", "SLA 内", "超时", "处理中", "升级故障数", "SLA 达成率")


def _local(dt: datetime | None) -> str:
    return dt.astimezone(local_tz()).strftime("%m-%d %H:%M") if dt else ""


def percent_text(value: float | None) -> str:
    """66.7 -> "66.7%", 100.0 -> "100%", None (nothing decided yet) -> "—"."""
    return "—" if value is None else f"{value:g}%"


def sla_rows(sla: dict) -> list[list]:
    """Rows of the SLA table from `sla_report`'s answer: one per level, then 合计."""
    rules = get_rules()
    rows = [[rules.levels[r["level"]].short_zh, r["faults"], r["within_sla"], r["missed"], r["pending"],
             r["escalated"], percent_text(r["percent_within_sla"])] for r in sla["levels"]]
    t = sla["total"]
    rows.append(["合计", t["faults"], t["within_sla"], t["missed"], t["pending"], t["escalated"],
                 percent_text(t["percent_within_sla"])])
    return rows


def fault_rows(faults: list[Fault]) -> list[list[str]]:
    """The week's faults: 单号, 申报时间, 级别 (and where it escalated to), 故障现象, 状态 (what it waits
    for: maintenance.labels.fault_stage), 响应, 恢复."""
    rules = get_rules()
    rows = []
    for f in faults:
        level = rules.levels[f.initial_level].short_zh
        if f.level != f.initial_level:
            level += f"→{rules.levels[f.level].short_zh}"
        rows.append([fault_ref_of(f), _local(f.reported_at), level, f.title, FAULT_STAGE_ZH[fault_stage(f)],
                     _local(f.responded_at), _local(f.restored_at)])
    return rows


def record_rows(d: Deliverable, monday: date, sunday: date) -> list[list[str]]:
    """The maintenance records of the week (the report itself left out): name, number, period, status."""
    rows = []
    for item in list_records(d.project, monday, sunday):
        if item.deliverable.id == d.id:
            continue
        rows.append([item.name_zh, item.deliverable.doc_no or "", item.deliverable.period or "",
                     RECORD_STATUS_ZH.get(item.status, item.status),
                     item.submitted_at.astimezone(local_tz()).strftime("%Y-%m-%d %H:%M") if item.submitted_at else ""])
    return rows


def weekly_tables(d: Deliverable, monday: date, sunday: date, sla: dict, faults: list[Fault]) -> dict:
    """DocFacts.extra entries of a 系统运行报告: `sla`, `week_faults`, `week_records` (empty
    tables get a 无 row, so a quiet week says so instead of showing blank lines)."""
    none = [["无"]]
    return {"sla": sla_rows(sla), "week_faults": fault_rows(faults) or none,
            "week_records": record_rows(d, monday, sunday) or none}
