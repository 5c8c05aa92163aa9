"""The register (文档交付清单) as XLSX (openpyxl) or CSV (UTF-8 with BOM, for Excel)."""
from __future__ import annotations

import io

from flask import Response, g, request

from projects import access
from core.errors import NotFound
from core.spreadsheet_safe import csv_bytes, xlsx_append
from portal.download import content_disposition
from web.blueprint import bp
from web.filters import localtime
from deliverables.labels import STATUS_ZH
from web.project_pages import _filters
from deliverables.registers import RegisterRow, register_rows

HEADERS = ["序号", "阶段", "文档名称", "状态", "最新版本", "文件名", "大小(字节)", "上传人", "上传时间", "SHA-256",
           "审核人(乙方)", "审核时间", "确认人(甲方)", "确认时间", "签署意见", "文档编号", "修订版本"]


def _cells(i: int, r: RegisterRow) -> list:
    v = r.latest
    pm, client = r.signed("pm"), r.signed("client")
    return [i, r.phase_name, r.name, STATUS_ZH.get(r.deliverable.status, r.deliverable.status),
            f"V{v.number}" if v else "", v.filename if v else "", v.size if v else "",
            (v.uploaded_by.name if v and v.uploaded_by else ""), localtime(v.created_at) if v else "",
            v.sha256 if v else "",
            pm.signer_name if pm else "", localtime(pm.created_at) if pm else "",
            client.signer_name if client else "", localtime(client.created_at) if client else "",
            "；".join(s.comment for s in r.signoffs if s.comment),
            r.deliverable.doc_no or "", v.revision if v else ""]


def register_xlsx(project, rows: list[RegisterRow]) -> bytes:
    # openpyxl takes a while to import: loaded on the first XLSX export, not at start-up.
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font  # (same reason)
    wb = Workbook()
    ws = wb.active
    ws.title = "文档交付清单"
    # Every row through xlsx_append: a name like "=HYPERLINK(...)" stays text, never a formula.
    xlsx_append(ws, [f"{project.name}（{project.code}）文档交付清单"])
    ws["A1"].font = Font(bold=True, size=14)
    xlsx_append(ws, [f"甲方：{project.client}", "", f"乙方：{project.vendor}"])
    xlsx_append(ws, HEADERS)
    for c in ws[3]:
        c.font = Font(bold=True)
    for i, r in enumerate(rows, 1):
        xlsx_append(ws, _cells(i, r))
    widths = [6, 14, 36, 10, 9, 36, 12, 12, 17, 20, 12, 17, 12, 17, 30, 20, 9]
    for col, w in zip("ABCDEFGHIJKLMNOPQ", widths):
        ws.column_dimensions[col].width = w
    for row in ws.iter_rows(min_row=4):
        for c in row:
            c.alignment = Alignment(vertical="top", wrap_text=True)
    ws.freeze_panes = "A4"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def register_csv(rows: list[RegisterRow]) -> bytes:
    """UTF-8 with BOM for Excel; formula-like cells neutralised (core.spreadsheet_safe)."""
    return csv_bytes([HEADERS, *(_cells(i, r) for i, r in enumerate(rows, 1))])


@bp.get("/projects/<code>/register.<fmt>")
def export_register(code, fmt):
    user = g.user
    project = access.get_project(user, code)
    if fmt not in ("xlsx", "csv"):
        raise NotFound(f"No export format '{fmt}'.")
    phase, status = _filters()
    rows = register_rows(user, project, phase, status, step=request.args.get("step") or None)  # as the page
    name = f"{project.code}-{project.name}-文档交付清单.{fmt}"
    if fmt == "xlsx":
        resp = Response(register_xlsx(project, rows),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    else:
        resp = Response(register_csv(rows), mimetype="text/csv")
        resp.headers["Content-Type"] = "text/csv; charset=utf-8"
    resp.headers["Content-Disposition"] = content_disposition(name)
    return resp
