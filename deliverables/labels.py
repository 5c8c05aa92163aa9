"""A deliverable's display name and status labels: the one place, used by pages, registers,
exports, the portal bundle, drafts and search (Chinese; the English is in the gettext catalog
or, for document names, in the catalog's name_en)."""
from __future__ import annotations

from catalog import get_catalog

ONE_OFF = "once"  # the period of a record made once (maintenance.records)

STATUS_ZH = {"missing": "缺失", "draft": "草稿", "in_review": "审核中", "rejected": "已驳回",
             "signed_off": "已签署"}


def display_name(d, lang: str = "zh") -> str:
    """The catalog name of `d` (document or record type) in `lang`; a periodic record shows its
    own title when that starts with the name (系统日常检查记录册 2026年11月), else the name with
    its title or period in brackets: 投诉处理单（机房空调投诉）, 系统日常检查记录册（2026-W47）."""
    cat = get_catalog()
    name = cat.name_zh(d.document_key)
    period = "" if d.period == ONE_OFF else d.period  # a one-off record's period says nothing
    if lang == "en":
        item = cat.document(d.document_key) or cat.record(d.document_key)
        return (item.name_en if item and item.name_en else name) + (f" ({period})" if period else "")
    if period:
        if d.title and d.title != name and d.title.startswith(name):
            return d.title
        name = f"{name}（{d.title if d.title and d.title != name else period}）"
    return name
