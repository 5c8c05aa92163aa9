"""A project's SLA compliance page (/projects/<code>/sla) and its CSV / XLSX exports.

The figures are maintenance.sla_overview (GET /api/projects/<code>/sla's own sla_report, per
range and per month); this module only lays them out. The chart (static/js/sla_chart.js,
ECharts) reads the same figures from the chart box's data-chart attribute (JSON); the tables
are the accessible version.
"""
from __future__ import annotations

import io

from flask import Response, g, render_template, request

from api.inputs import parse_date
from core.errors import NotFound, UserValueError
from core.spreadsheet_safe import csv_bytes, xlsx_append
from maintenance.sla_overview import SlaOverview, sla_overview
from maintenance.sla_rules import get_rules
from portal.download import content_disposition
from projects import access
from web.blueprint import bp
from web.i18n import current_lang, gettext as _

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The columns of the tables and exports: (sla_report key, Chinese heading).
COLUMNS = (("faults", "故障数"), ("responded_in_time", "按时响应"), ("restored_in_time", "按时恢复"),
           ("within_sla", "SLA 内"), ("missed", "超时"), ("pending", "未到期"), ("escalated", "升级故障数"),
           ("escalations", "升级次数"), ("percent_within_sla", "SLA 达成率"))


def _range():
    """?from=&to= as the API reads them (400 in the shared shape when wrong)."""
    date_from = parse_date(request.args.get("from"), "from")
    date_to = parse_date(request.args.get("to"), "to")
    if date_from and date_to and date_from > date_to:
        raise UserValueError("'from' must not be after 'to'.", "invalid_range")
    return date_from, date_to


def level_name(n: int) -> str:
    """A level's name in the UI language (sla.yaml's name_en in English)."""
    lv = get_rules().levels[n]
    return lv.name_en if current_lang() == "en" and lv.name_en else lv.name_zh


def percent_text(value) -> str:
    return "—" if value is None else f"{value:g}%"


def chart_data(view: SlaOverview) -> dict:
    """What static/js/sla_chart.js draws: per month, faults, on-time counts and the percent."""
    totals = [m.report["total"] for m in view.months]
    return {"months": [m.month for m in view.months],
            "series": {key: [t[key] for t in totals] for key in ("faults", "responded_in_time", "restored_in_time",
                                                                 "escalated", "percent_within_sla")},
            "labels": {"faults": _("故障数"), "responded_in_time": _("按时响应"), "restored_in_time": _("按时恢复"),
                       "escalated": _("升级故障数"), "percent_within_sla": _("SLA 达成率"),
                       "count": _("故障数"), "percent": "%"}}


@bp.get("/projects/<code>/sla")
def sla_page(code):
    """Per level over the range (default: everything), per month, a chart and the exports."""
    project = access.get_project(g.user, code)
    date_from, date_to = _range()
    view = sla_overview(project, date_from, date_to)
    return render_template("sla.html", project=project, view=view, columns=COLUMNS, level_name=level_name,
                           percent_text=percent_text, chart=chart_data(view), rules=get_rules(),
                           query={k: v for k, v in (("from", date_from), ("to", date_to)) if v})


# --- exports ----------------------------------------------------------------------------------

def export_rows(view: SlaOverview) -> list[list]:
    """The export's table in the UI language: a heading row, per level then 合计 over the
    range, then per month and level (the same figures as the page)."""
    head = [_("月份"), _("级别")] + [_(zh) for _key, zh in COLUMNS]

    def cells(row: dict) -> list:
        return [row[k] if k != "percent_within_sla" else ("" if row[k] is None else row[k]) for k, _zh in COLUMNS]

    span = f"{view.date_from or ''}~{view.date_to or ''}" if view.date_from or view.date_to else _("全部")
    rows = [head]
    for r in view.report["levels"]:
        rows.append([span, level_name(r["level"])] + cells(r))
    rows.append([span, _("合计")] + cells(view.report["total"]))
    for m in view.months:
        for r in m.report["levels"]:
            rows.append([m.month, level_name(r["level"])] + cells(r))
        rows.append([m.month, _("合计")] + cells(m.report["total"]))
    return rows


def sla_xlsx(project, view: SlaOverview, rows: list[list]) -> bytes:
    from openpyxl import Workbook  # loaded on the first XLSX export, not at start-up
    from openpyxl.styles import Font  # (same reason)
    wb = Workbook()
    ws = wb.active
    ws.title = _("SLA统计")
    xlsx_append(ws, [_("{name}（{code}）SLA 达成情况", name=project.name, code=project.code)])
    ws["A1"].font = Font(bold=True, size=14)
    xlsx_append(ws, [_("甲方：{client}", client=project.client), "", _("统计范围：{span}", span=rows[1][0]),
                     "", _("SLA 达成率 = SLA 内 / (SLA 内 + 超时)，单位为 %")])
    xlsx_append(ws, rows[0])
    for c in ws[3]:
        c.font = Font(bold=True)
    for row in rows[1:]:
        xlsx_append(ws, row)
    for col, width in zip("ABCDEFGHIJK", (12, 20, 8, 9, 9, 8, 8, 8, 10, 9, 11)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "C4"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@bp.get("/projects/<code>/sla.<fmt>")
def export_sla(code, fmt):
    """The SLA page's figures as CSV (UTF-8 with BOM) or XLSX, same ?from=&to=."""
    project = access.get_project(g.user, code)
    if fmt not in ("csv", "xlsx"):
        raise NotFound(f"No export format '{fmt}'.")
    date_from, date_to = _range()
    view = sla_overview(project, date_from, date_to)
    rows = export_rows(view)
    name = f"{project.code}-{project.name}-{_('SLA统计')}.{fmt}"
    if fmt == "xlsx":
        resp = Response(sla_xlsx(project, view, rows), mimetype=XLSX_MIME)
    else:
        resp = Response(csv_bytes(rows), mimetype="text/csv")
        resp.headers["Content-Type"] = "text/csv; charset=utf-8"
    resp.headers["Content-Disposition"] = content_disposition(name)
    return resp
