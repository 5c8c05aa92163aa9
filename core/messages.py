"""Every message a user can be shown for an error code, in Chinese and English: the one lookup.

Operations raise `HandoverError(english_sentence, code, **params)` (core.errors). The Chinese
message of each code is registered here (it is the gettext message id, as everywhere in the
UI: zh-CN is the source language); its English lives in translations/en/LC_MESSAGES/messages.po.
Pages show `error_message(code, lang, params)` in the user's language; the API keeps the
operation's English sentence unless the client asks for Chinese (Accept-Language).

A test (tests/test_page_errors_i18n.py) scans the sources for every code an operation can
raise and fails when one lacks a Chinese or an English message, or when a raise site does not
pass the parameters its message shows.

The catalogs are read at start-up with Babel's PO parser (nothing to compile).
Extract new strings with: pybabel extract -F babel.cfg -k _ -k N_ -o messages.pot .
"""
from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

from core.cleaning import DATE_MAX, DATE_MIN
from core.errors import HandoverError

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
LANGS = ("zh", "en")


def N_(message: str) -> str:
    """Mark a Chinese message id for extraction (pybabel -k N_); translated when shown."""
    return message


@lru_cache(maxsize=None)
def catalog(lang: str) -> dict[str, str | tuple[str, ...]]:
    """msgid -> msgstr of `lang` (untranslated and fuzzy entries left out); an entry with
    plural forms (msgid_plural: Chinese has one form, English two) maps its msgid to the
    tuple of forms."""
    path = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with open(path, "rb") as fh:
        po = read_po(fh, locale=lang)
    out: dict[str, str | tuple[str, ...]] = {}
    for m in po:
        if not m.id or not m.string or m.fuzzy:
            continue
        if m.pluralizable:
            if all(m.string):
                out[m.id[0]] = tuple(m.string)
        else:
            out[m.id] = m.string
    return out


def translate(message: str, lang: str, n: int | None = None) -> str:
    """The Chinese `message` in `lang` (itself when zh or untranslated); a message with plural
    forms takes the form for the count `n` (English: one for 1, the other form otherwise)."""
    found = catalog("en").get(message, message) if lang == "en" else message
    if isinstance(found, tuple):
        return found[0] if n == 1 else found[-1]
    return found


# code -> Chinese message; {placeholders} come from the error's params (or DEFAULTS).
ERRORS: dict[str, str] = {
    # generic codes: the error classes' defaults and the HTTP statuses (core.requests.HTTP_CODES)
    "bad_request": N_("请求无效。"),
    "invalid": N_("输入无效。"),
    "unauthorized": N_("请先登录，或提供有效的 API 令牌。"),
    "forbidden": N_("您的角色无权执行此操作。"),
    "not_found": N_("找不到页面或对象。"),
    "method_not_allowed": N_("此地址不支持该请求方式。"),
    "conflict": N_("操作与当前状态冲突，请刷新后重试。"),
    "too_large": N_("提交的内容超过 {limit_mb} MiB 的大小上限（文件上传与其他表单各有上限）。"),
    "unsupported_media_type": N_("不支持该内容类型。"),
    "range_not_satisfiable": N_("请求的范围无效。"),
    "too_many_requests": N_("请求过于频繁，请稍后再试。"),
    "internal_error": N_("服务器出错，已记录，请稍后再试。"),
    "error": N_("出错了，请稍后再试。"),
    "csrf_failed": N_("页面已过期或表单无效，请刷新页面后重试。"),
    # input
    "invalid_choice": N_("所选项无效。"),
    "invalid_check_items": N_("检查项无效：须为 1-60 项，每项含检查对象和检查项。"),
    "not_docx": N_("只有可读取的 DOCX 版本才能清除填写说明。"),
    "no_hints": N_("V{n} 中已没有填写说明。"),
    "unknown_action": N_("未知操作。"),
    "invalid_code": N_("项目编号须为 2-64 位字母、数字、“-”或“_”。"),
    "invalid_date": N_("日期须在 {lo} 至 {hi} 之间。"),
    "invalid_datetime": N_("时间格式不对。"),
    "invalid_filename": N_("文件名无效。"),
    "invalid_level": N_("请选择有效的故障级别。"),
    "invalid_phase": N_("未知的阶段。"),
    "invalid_range": N_("开始日期不能晚于结束日期。"),
    "invalid_role": N_("角色无效。"),
    "invalid_status": N_("未知的状态。"),
    "invalid_text": N_("内容含有不允许的控制字符。"),
    "invalid_username": N_("用户名须为 2-64 位字母、数字、下划线、点或连字符。"),
    "malformed_json": N_("请求体须为 JSON 对象。"),
    "missing_field": N_("请填写必填项。"),
    "missing_title": N_("请填写故障标题。"),
    "missing_decision": N_("请选择通过或驳回。"),
    "missing_file": N_("请选择要上传的文件。"),
    "missing_query": N_("请输入搜索内容。"),
    "out_of_range": N_("数值超出允许范围。"),
    "query_too_complex": N_("搜索词太多，请精简后再试。"),
    "query_too_long": N_("搜索内容太长，请缩短后再试。"),
    "too_long": N_("内容不能超过 {max_len} 个字符。"),
    "unknown_field": N_("含有未知或只读的字段。"),
    "unknown_record": N_("未知的记录类型。"),
    "wrong_type": N_("数据类型不对。"),
    "empty_file": N_("文件为空。"),
    "too_many_files": N_("一次最多上传 {max_files} 个文件。"),
    "unpaired_files": N_("每个文件须有一个交付物编号（deliverable_id），按顺序成对提交；说明（note）可不填、填一条或每个文件一条。"),
    "invalid_mapping": N_("对应关系文件无效：须为 YAML，map 下为“路径或通配符: 文档键”，ignore 下为要忽略的通配符。"),
    "invalid_zip": N_("不是可读取的 ZIP 文件，或其中没有文件。"),
    "unsafe_zip": N_("ZIP 被拒绝：条目“{entry}”使用了绝对路径、“..”、符号链接或加密。"),
    "zip_too_large": N_("ZIP 被拒绝：条目过多、解压后过大或压缩比异常。"),
    "weak_password": N_("密码至少 8 个字符。"),
    "invalid_email": N_("电子邮箱地址无效。"),
    "invalid_webhook_url": N_("机器人地址须为 http(s) 网址，不超过 1000 个字符。"),
    "webhook_host_not_allowed": N_("机器人地址的主机 {host} 不在允许的列表（HANDOVER_WEBHOOK_HOSTS）中。"),
    "admin_only_webhook": N_("只有系统管理员可以设置项目的群机器人。"),
    "wrong_password": N_("密码错误，未签署。"),
    "too_many_attempts": N_("密码错误次数过多，请 {seconds} 秒后再试；未签署。"),
    # objects
    "project_not_found": N_("项目 {project} 不存在或您无权查看。"),
    "deliverable_not_found": N_("交付物 {deliverable_id} 不存在或您无权查看。"),
    "version_not_found": N_("版本 {version_id} 不存在或您无权查看。"),
    "fault_not_found": N_("故障 {fault_id} 不存在或您无权查看。"),
    "user_not_found": N_("用户 {username} 不存在。"),
    "user_exists": N_("用户名 {username} 已存在。"),
    "project_exists": N_("项目编号 {project} 已存在。"),
    "blob_missing": N_("存储的文件缺失，已通知管理员。"),
    "no_preview": N_("此文件没有在线预览（{reason}），请下载查看。"),
    "not_signed_off": N_("只有双方签署完成的版本才有受控副本。"),
    "diff_against_missing": N_("请指定要比较的另一个版本（against）。"),
    "diff_against_invalid": N_("against 必须是另一个版本的编号。"),
    "diff_same_version": N_("请选择两个不同的版本进行比较。"),
    "diff_other_deliverable": N_("只能比较同一交付物的两个版本。"),
    "diff_no_text": N_("V{number} 的文字不可用（{status}），无法比较。"),
    # who may
    "admin_only": N_("只有系统管理员可以管理用户。"),
    "role_may_not": N_("您的角色无权执行此操作。"),
    "role_cannot_sign": N_("您的角色不参与此文档的签署。"),
    "not_a_member": N_("只有项目成员可以签署。"),
    "members_only": N_("只有项目成员可以执行此操作。"),
    "own_upload": N_("上传该版本的人不能审核通过自己的版本。"),
    # sign-off
    "comment_required": N_("驳回时必须填写意见。"),
    "same_content": N_("与 V{number} 内容相同：未创建新版本。确需再次提交同一文件时，勾选“仍然作为新版本上传”后重新上传。"),
    "not_latest": N_("此版本已不是最新版本，请签署最新版本。"),
    "already_signed": N_("您已签署过此版本。"),
    "role_already_signed": N_("同一角色已有人审核通过此版本。"),
    "version_rejected": N_("此版本已被驳回，请上传新版本。"),
    "version_signed_off": N_("此版本已完成全部签署。"),
    "not_your_step": N_("此版本当前不在您的签署步骤，或您已签署过此版本。"),
    "hints_left": N_("V{n} 仍含 {hints} 条填写说明，请先“清除填写说明”生成签署稿，再提交甲方确认。"),
    # the deliverable page's sign form, posted after the document moved on (web/deliverable_pages.py)
    "newer_version": N_("该文档已有新版本 V{n}，请查看后再{step}。您填写的意见已保留。"),
    "step_moved": N_("V{n} 已进入另一步骤（{step}），请查看后再操作。您填写的意见已保留。"),
    # sign-off workflows
    "workflow_no_steps": N_("签署流程至少需要一个步骤（{where}）。"),
    "workflow_too_long": N_("签署流程最多 {max_steps} 个步骤。"),
    "workflow_bad_step": N_("第 {n} 个步骤无效：需要编号、名称（不超过 16 字）、角色、会签方式（any/all）和可选的工作日时限。"),
    "workflow_duplicate_step": N_("步骤编号 {key} 重复。"),
    "workflow_unknown_role": N_("步骤 {key} 的角色无效，只能是 pm、engineer 或 client。"),
    "workflow_last_not_client": N_("最后一个步骤必须由甲方（client）确认。"),
    "workflow_client_in_between": N_("甲方步骤须排在乙方所有步骤之后。"),
    "workflow_no_vendor_step": N_("甲方确认之前至少需要一个乙方步骤（pm 或 engineer）。"),
    "workflow_bad_user": N_("步骤 {key} 指定的人员 {users} 不是本项目该角色的成员。"),
    "workflow_bad_document": N_("{key} 不是目录中的文档。"),
    # faults and records
    "fault_closed": N_("该故障已关闭，不能再操作。"),
    "already_responded": N_("该故障已响应。"),
    "already_restored": N_("该故障已恢复。"),
    "already_held": N_("您方已同意保持级别。"),
    "not_responded": N_("请先记录响应，再记录恢复。"),
    "not_restored": N_("请先记录恢复，再关闭。"),
    "time_in_future": N_("时间不能晚于当前时间。"),
    "time_before_report": N_("时间不能早于故障申报时间。"),
    "time_before_previous": N_("时间不能早于上一步操作。"),
    "not_on_demand": N_("该记录类型按周期自动生成，不能手工新建。"),
    # people and project set-up (issue 16)
    "last_admin": N_("{username} 是最后一位启用的管理员，不能降级或停用；请先指定另一位管理员。"),
    "last_pm": N_("不能移出本项目唯一的项目经理；请先添加另一位项目经理。"),
    "client_other_organisation": N_("该甲方用户属于其他单位，只能加入甲方为其单位的项目。"),
    "reserved_code": N_("该项目编号已被页面地址占用，请换一个。"),
    "token_not_found": N_("找不到该令牌。"),
}

# Parameters whose value is fixed by the code base (raise sites need not pass them).
DEFAULTS: dict[str, dict[str, object]] = {
    "invalid_date": {"lo": DATE_MIN.isoformat(), "hi": DATE_MAX.isoformat()},
}


def placeholders(message: str) -> set[str]:
    """The {names} a message shows."""
    return {name for _, name, _, _ in string.Formatter().parse(message) if name}


def error_message(code: str, lang: str, params: dict | None = None, fallback: str | None = None) -> str:
    """The message of `code` in `lang` with `params` filled in; `fallback` (or the generic
    message) when the code is unknown or a parameter is missing."""
    template = ERRORS.get(code)
    if template is None:
        return fallback if fallback is not None else error_message("error", lang)
    try:
        return translate(template, lang).format(**{**DEFAULTS.get(code, {}), **(params or {})})
    except (KeyError, IndexError):
        return fallback if fallback is not None else error_message("error", lang)


def message_of(exc: HandoverError, lang: str) -> str:
    """The message of an operation error in `lang` (its English sentence if the code is unknown)."""
    return error_message(exc.code, lang, exc.params, fallback=exc.message)
