"""Role labels (Chinese; the English is in the gettext catalog): the one place for them,
used by pages, drafts and reports."""
from __future__ import annotations

from core.roles import ADMIN, CLIENT, ENGINEER, PM

ROLE_ZH = {ADMIN: "系统管理员", PM: "项目经理", ENGINEER: "实施工程师", CLIENT: "甲方代表"}


def role_label(role: str) -> str:
    """The Chinese label of `role` (the role key itself when unknown)."""
    return ROLE_ZH.get(role, role)
