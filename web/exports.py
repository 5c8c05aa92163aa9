"""The register (文档交付清单) as XLSX (openpyxl) or CSV (UTF-8 with BOM, for Excel), in the
UI language of who exports it (headers, phase, document and status names; user data as is)."""
from __future__ import annotations

import io

from flask import Response, g, request

from projects import access
from core.errors import NotFound
from core.spreadsheet_safe import csv_bytes, xlsx_append
from portal.download import content_disposition
from web.blueprint import bp
from web.filters import localtime
from catalog import get_catalog
from deliverables.labels import STATUS_ZH, display_name
from web.i18n import current_lang, gettext as _
from web.project_pages import _filters
from web.portfolio_pages import register_query
from deliverables.registers import RegisterRow, register_rows

HEADERS = ["序号", "阶段", "文档名称", "状态", "最新版本", "文件名", "大小(字节)", "上传人", "上传时间", "SHA-256",
           "审核人(乙方)", "审核时间", "确认人(甲方)", "确认时间", "签署意见", "文档编号", "修订版本"]
WIDTHS = [6, 14, 36, 10, 9, 36, 12, 12, 17, 20, 12, 17, 12, 17, 30, 20, 9]


def _headers(headers: list[str]) -> list[str]:
    """Column headers (Chinese message ids) in the UI language."""
    return [_(h) for h in headers]


def _names(r: RegisterRow) -> tuple[str, str]:
    """(phase name, document name) of a row in the UI language."""
    if current_lang() != "en":
        return r.phase_name, r.name
    phase = next((p for p in get_catalog().phases if p.key == r.deliverable.phase), None)
    return (phase.name_en if phase else r.phase_name), display_name(r.deliverable, "en")


def _cells(i: int, r: RegisterRow) -> list:
    v = r.latest
    pm, client = r.signed("pm"), r.signed("client")
    return [i, *_names(r), _(STATUS_ZH.get(r.deliverable.status, r.deliverable.status)),
            f"V{v.number}" if v else "", v.filename if v else "", v.size if v else "",
            (v.uploaded_by.name if v and v.uploaded_by else ""), localtime(v.created_at) if v else "",
            v.sha256 if v else "",
            pm.signer_name if pm else "", localtime(pm.created_at) if pm else "",
            client.signer_name if client else "", localtime(client.created_at) if client else "",
            ("；" if current_lang() == "zh" else "; ").join(s.comment for s in r.signoffs if s.comment),
            r.deliverable.doc_no or "", v.revision if v else ""]


def register_xlsx(project, rows: list[RegisterRow]) -> bytes:
    c = ": " if current_lang() == "en" else "："
    return _xlsx(_("{name}（{code}）文档交付清单", name=project.name, code=project.code),
                 [_("甲方") + c + project.client, "", _("乙方") + c + project.vendor],
                 HEADERS, [_cells(i, r) for i, r in enumerate(rows, 1)], WIDTHS)


def _xlsx(title: str, subtitle: list, headers: list[str], cells: list[list], widths: list[int]) -> bytes:
    """One sheet: the title, a line under it, the headers (bold, frozen) and the rows."""
    # openpyxl takes a while to import: loaded on the first XLSX export, not at start-up.
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font  # (same reason)
    from openpyxl.utils import get_column_letter  # (same reason)
    wb = Workbook()
    ws = wb.active
    ws.title = _("文档交付清单")[:31]  # Excel's limit for a sheet name
    # Every row through xlsx_append: a name like "=HYPERLINK(...)" stays text, never a formula.
    xlsx_append(ws, [title])
    ws["A1"].font = Font(bold=True, size=14)
    xlsx_append(ws, subtitle)
    xlsx_append(ws, _headers(headers))
    for c in ws[3]:
        c.font = Font(bold=True)
    for row in cells:
        xlsx_append(ws, row)
    for n, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(n)].width = w
    for row in ws.iter_rows(min_row=4):
        for c in row:
            c.alignment = Alignment(vertical="top", wrap_text=True)
    ws.freeze_panes = "A4"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def register_csv(rows: list[RegisterRow]) -> bytes:
    """UTF-8 with BOM for Excel; formula-like cells neutralised (core.spreadsheet_safe)."""
    return csv_bytes([_headers(HEADERS), *(_cells(i, r) for i, r in enumerate(rows, 1))])


# The register across projects (/register): the same columns after the project's code and name.
ACROSS_HEADERS = ["序号", "项目编号", "项目名称", *HEADERS[1:]]
ACROSS_WIDTHS = [6, 14, 24, *WIDTHS[1:]]


def _across_cells(i: int, r: RegisterRow) -> list:
    return [i, r.project.code, r.project.name, *_cells(i, r)[1:]]


def register_across_xlsx(rows: list[RegisterRow], filters: str) -> bytes:
    return _xlsx(_("文档交付清单（多项目）"), [filters], ACROSS_HEADERS,
                 [_across_cells(i, r) for i, r in enumerate(rows, 1)], ACROSS_WIDTHS)


def register_across_csv(rows: list[RegisterRow]) -> bytes:
    return csv_bytes([_headers(ACROSS_HEADERS), *(_across_cells(i, r) for i, r in enumerate(rows, 1))])


def _download(body: bytes, fmt: str, name: str) -> Response:
    if fmt == "xlsx":
        resp = Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    else:
        resp = Response(body, mimetype="text/csv")
        resp.headers["Content-Type"] = "text/csv; charset=utf-8"
    resp.headers["Content-Disposition"] = content_disposition(name)
    return resp


@bp.get("/projects/<code>/register.<fmt>")
def export_register(code, fmt):
    user = g.user
    project = access.get_project(user, code)
    if fmt not in ("xlsx", "csv"):
        raise NotFound(f"No export format '{fmt}'.")
    phase, status = _filters()
    rows = register_rows(user, project, phase, status, step=request.args.get("step") or None)  # as the page
    name = f"{project.code}-{project.name}-{_('文档交付清单')}.{fmt}"
    return _download(register_xlsx(project, rows) if fmt == "xlsx" else register_csv(rows), fmt, name)


@bp.get("/register.<fmt>")
def export_register_all(fmt):
    """The register across projects with the page's filters, every row (not one page)."""
    if fmt not in ("xlsx", "csv"):
        raise NotFound(f"No export format '{fmt}'.")
    rq = register_query(g.user)
    rows = rq.rows(g.user)
    sep = "；" if current_lang() == "zh" else "; "
    filters = sep.join(f"{k}={v}" for k, v in rq.args().items()) or _("全部项目")
    return _download(register_across_xlsx(rows, filters) if fmt == "xlsx" else register_across_csv(rows), fmt,
                     f"{_('文档交付清单')}-{rq.project.code if rq.project else _('全部项目')}.{fmt}")
