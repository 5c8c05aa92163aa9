"""A deliverable's display name and status labels: the one place, used by pages, registers,
exports, the portal bundle, drafts and search (Chinese; the English is in the gettext catalog
or, for document names, in the catalog's name_en)."""
from __future__ import annotations

import re

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


def catalog_name(key: str, lang: str = "zh") -> str:
    """The catalog name of a document or record type in `lang` (the key when unknown)."""
    cat = get_catalog()
    item = cat.document(key) or cat.record(key)
    if item is None:
        return key
    return item.name_en if lang == "en" and item.name_en else item.name_zh


# The note a generated draft carries (deliverables.drafts): stored in Chinese, shown in the
# reader's language. Other notes are what people wrote and are shown as written.
DRAFT_NOTE = "由模板生成的{fmt}初稿"
_DRAFT_NOTE_RE = re.compile(r"由模板生成的([A-Z]+)初稿")


def version_note(note: str, lang: str = "zh") -> str:
    """A version's note in `lang`: the generated-draft note translated, any other note as is."""
    m = _DRAFT_NOTE_RE.fullmatch(note or "")
    if m and lang == "en":
        from core.messages import translate  # late: labels stay light for the modules importing them
        return translate(DRAFT_NOTE, lang).format(fmt=m.group(1))
    return note
