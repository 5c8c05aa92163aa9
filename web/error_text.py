"""Operation errors in the page's language: operations raise English messages with a
short code; pages show the Chinese text for known codes (English mode keeps the message)."""
from __future__ import annotations

from core.errors import HandoverError
from web.i18n import current_lang

ZH = {
    "not_latest": "此版本已不是最新版本，请签署最新版本。",
    "own_upload": "上传该版本的人不能审核通过自己的版本。",
    "already_signed": "您已签署过此版本。",
    "version_rejected": "此版本已被驳回，请上传新版本。",
    "version_signed_off": "此版本已完成双方签署。",
    "role_already_signed": "同一角色已有人审核通过此版本。",
    "role_cannot_sign": "只有乙方项目经理和甲方可以签署。",
    "not_a_member": "只有项目成员可以签署。",
    "comment_required": "驳回时必须填写意见。",
    "empty_file": "文件为空。",
    "missing_file": "请选择要上传的文件。",
    "too_large": "文件超过大小上限。",
    "invalid_filename": "文件名无效。",
    "forbidden": "您的角色无权执行此操作。",
    "user_exists": "用户名已存在。",
    "invalid_username": "用户名须为 2-64 位字母、数字、下划线、点或连字符。",
    "weak_password": "密码至少 8 个字符。",
    "already_responded": "该故障已响应。",
    "already_restored": "该故障已恢复。",
    "already_held": "您方已同意暂停升级。",
    "fault_closed": "该故障已关闭，不能再操作。",
    "not_responded": "请先记录响应，再记录恢复。",
    "not_restored": "请先记录恢复，再关闭。",
    "role_may_not": "您的角色无权执行此操作。",
    "time_in_future": "时间不能晚于当前时间。",
    "time_before_report": "时间不能早于故障申报时间。",
    "time_before_previous": "时间不能早于上一步操作。",
    "invalid_level": "故障等级须为 1-4。",
    "missing_field": "请填写必填项。",
    "not_on_demand": "该记录类型按周期自动生成，不能手工新建。",
}


def error_text(exc: HandoverError) -> str:
    """The message to flash for `exc` in the current UI language."""
    if current_lang() == "zh" and exc.code in ZH:
        return ZH[exc.code]
    return exc.message
