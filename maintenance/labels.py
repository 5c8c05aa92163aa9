"""Fault labels and the fault reference: the one place, used by pages, the API, the
故障申报表 report and the command line (Chinese; the English is in the gettext catalog)."""
from __future__ import annotations

EVENT_ZH = {"respond": "响应", "restore": "恢复", "close": "关闭", "hold_level": "同意保持级别", "note": "备注"}
FAULT_STATUS_ZH = {"open": "处理中", "restored": "已恢复", "closed": "已关闭"}
# What a fault waits for (`fault_stage`): the words pages, the API (`stage`) and the 待办 show.
FAULT_STAGE_ZH = {"awaiting_response": "待响应", "in_progress": "处理中", "awaiting_close": "待确认关闭",
                  "closed": "已关闭"}
FAULT_STAGES = tuple(FAULT_STAGE_ZH)
STAGE_WAITS_ZH = {"awaiting_response": "等待乙方响应。", "in_progress": "已响应，等待乙方恢复。",
                  "awaiting_close": "已恢复，等待甲方确认关闭。", "closed": "已关闭，无需处理。"}
# The deadlines of the SLA rules (maintenance.sla_rules.KINDS) a fault can miss.
MISSED_ZH = {"respond": "响应超时", "restore": "恢复超时"}
RECORD_STATUS_ZH = {"due": "待提交", "submitted": "已提交", "late": "迟交", "overdue": "逾期"}


def fault_stage(fault) -> str:
    """What the fault waits for: the vendor's response (awaiting_response), its restoration
    (in_progress), the client's confirmation that closes it (awaiting_close), nothing (closed)."""
    if fault.status == "closed":
        return "closed"
    if fault.status == "restored" or fault.restored_at is not None:
        return "awaiting_close"
    return "in_progress" if fault.responded_at is not None else "awaiting_response"


def missed_deadlines(breached: dict) -> list[str]:
    """The deadlines missed, in the order they come ("respond", "restore"), from a
    live state's `breached` flags (maintenance.faults.live_state)."""
    return [kind for kind in MISSED_ZH if breached.get(kind)]


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


def level_name(rules, level: int, lang: str = "zh") -> str:
    """A fault level's name in `lang`: sla.yaml's name_en in English (the Chinese name
    through the gettext catalog when the YAML has none), name_zh in Chinese."""
    from core.messages import translate  # late: core.messages is heavier than these labels
    lv = rules.levels.get(level)
    if lv is None:
        return str(level)
    if lang == "en":
        return lv.name_en or translate(lv.name_zh, lang)
    return lv.name_zh


def channel_name(rules, channel: str, lang: str = "zh") -> str:
    """How a fault was reported (电话, 电子邮件 ...) in `lang` (English from the gettext catalog)."""
    from core.messages import translate  # late (as above)
    return translate(rules.channels.get(channel, channel), lang)
