"""Fault labels and the fault reference: the one place, used by pages, the API, the
故障申报表 report and the command line (Chinese; the English is in the gettext catalog)."""
from __future__ import annotations

EVENT_ZH = {"respond": "响应", "restore": "恢复", "close": "关闭", "hold_level": "同意保持级别", "note": "备注"}
FAULT_STATUS_ZH = {"open": "处理中", "restored": "已恢复", "closed": "已关闭"}


def fault_number_label(number: int) -> str:
    """A fault's number within its project: F007."""
    return f"F{number:03d}"


def fault_ref(project_code: str, number: int) -> str:
    """A fault's reference as people quote it: P1-F007."""
    return f"{project_code}-{fault_number_label(number)}"


def fault_ref_of(fault) -> str:
    """`fault_ref` of a Fault row."""
    return fault_ref(fault.project.code, fault.number)


def fault_report_filename(fault) -> str:
    """The download name of a fault's filled-in 故障申报表."""
    return f"{fault_ref_of(fault)}-故障申报表.docx"
