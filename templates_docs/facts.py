"""The facts a skeleton is filled with, the document-number scheme and text substitution."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any, Mapping
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Person:
    """A person of the project and the role they play in it."""

    name: str
    role: str
    organisation: str = ""
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class DocFacts:
    """Everything the renderers know about the project and the document."""

    project_name: str
    project_code: str
    client: str
    vendor: str
    document_key: str
    document_name: str
    version_label: str  # e.g. "V1.0" or "V3"
    date: datetime.date
    people: tuple[Person, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: 文档编号 from the register (stable across versions); empty: ``<code>-<key>``.
    doc_no: str = ""
    #: 修订记录 rows (版本, 日期, 修订人, 修订内容, 审核人), oldest first; empty: one row for this version.
    revisions: tuple[tuple[str, str, str, str, str], ...] = ()
    #: 审批 rows after 编制: (step name, signed by the client's side, signer name, date).
    approvals: tuple[tuple[str, bool, str, str], ...] = ()
    #: Names for the cover's 编制 / 审核 / 批准 (override the guesses from ``people``).
    signers: Mapping[str, str] = field(default_factory=dict)

    @property
    def number(self) -> str:
        """The document number printed on the cover and in the header."""
        return self.doc_no or document_number(self.project_code, self.document_key)


def document_number(project_code: str, document_key: str, version_label: str = "") -> str:
    """Fallback number when the register gave none: ``<code>-<key>`` (no version: the number
    stays when the revision changes). The register's scheme is catalog.yaml ``numbering``."""
    return f"{project_code.strip()}-{document_key.strip()}"


def today_shanghai() -> datetime.date:
    """Today's date in Asia/Shanghai."""
    return datetime.datetime.now(TZ).date()


def date_zh(value: datetime.date) -> str:
    """``2026年11月25日``."""
    return f"{value.year}年{value.month}月{value.day}日"


def timestamp_utc(value: datetime.date) -> datetime.datetime:
    """09:00 Asia/Shanghai on ``value`` as a naive UTC datetime (for core properties)."""
    local = datetime.datetime.combine(value, datetime.time(9, 0), tzinfo=TZ)
    return local.astimezone(datetime.timezone.utc).replace(tzinfo=None)


def find_person(facts: DocFacts, *role_words: str) -> Person | None:
    """First person whose role contains one of ``role_words``."""
    for word in role_words:
        for person in facts.people:
            if word in person.role:
                return person
    return None


def people_rows(facts: DocFacts) -> list[dict[str, str]]:
    """The project's people as table rows keyed by the usual Chinese column headings."""
    rows = []
    for p in facts.people:
        rows.append({
            "角色": p.role, "职责": p.role, "项目角色": p.role, "姓名": p.name,
            "单位": p.organisation, "所属单位": p.organisation, "电话": p.phone,
            "联系电话": p.phone, "邮箱": p.email, "电子邮箱": p.email,
        })
    return rows


def context(facts: DocFacts) -> dict[str, str]:
    """Values for ``{name}`` placeholders in outline hints, texts and rows."""
    pm = find_person(facts, "项目经理", "项目负责人")
    ctx = {
        "project_name": facts.project_name,
        "project_code": facts.project_code,
        "client": facts.client,
        "vendor": facts.vendor,
        "document_name": facts.document_name,
        "document_key": facts.document_key,
        "document_number": facts.number,
        "version": facts.version_label,
        "date": date_zh(facts.date),
        "iso_date": facts.date.isoformat(),
        "year": str(facts.date.year),
        "project_manager": pm.name if pm else "",
    }
    for key, value in facts.extra.items():
        if isinstance(value, (str, int, float)) and key not in ctx:
            ctx[key] = str(value)
    return ctx


_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


TO_FILL = "（待填写）"


def substitute(text: str, ctx: Mapping[str, str], missing: str | None = None) -> str:
    """Replace ``{name}`` with ``ctx[name]``.

    Unknown names stay as they are, or become ``missing`` when it is given (e.g. ``""`` in table
    cells, :data:`TO_FILL` in prefilled text).
    """
    if "{" not in text:
        return text
    return _PLACEHOLDER.sub(
        lambda m: ctx.get(m.group(1), m.group(0) if missing is None else missing), text)
