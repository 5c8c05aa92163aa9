"""The daily check items of a project (issue 15): the rows of the 系统日常检查记录册's weekly
grid and of the 系统维护手册's 日常检查项目 table.

Defaults are data (maintenance/check_items.yaml); a pm or admin may replace a project's list
(PUT /api/projects/<code>/check-items). One row per project holds its list as JSON."""
from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import yaml
from sqlalchemy import ForeignKey, Integer, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from core import audit, db
from core.clock import now
from core.db import Base, UTCDateTime
from core.errors import UserValueError
from core.models import User
from projects.models import Project
from projects.permissions import may_manage_project, require

DEFAULTS_FILE = Path(__file__).with_name("check_items.yaml")
FIELDS = {"object": 100, "item": 200, "frequency": 50, "method": 200, "standard": 200}
REQUIRED = ("object", "item")
MAX_ITEMS = 60
#: The Chinese column headings the document outlines use for each field.
COLUMNS = {"object": "检查对象", "item": "检查项", "frequency": "频次", "method": "检查方法", "standard": "正常标准"}


class CheckItemList(Base):
    """A project's own check items (absent: the defaults)."""
    __tablename__ = "check_item_lists"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), unique=True)
    items: Mapped[str] = mapped_column(Text, default="[]")
    updated_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


@lru_cache(maxsize=1)
def default_items() -> tuple[dict, ...]:
    with open(DEFAULTS_FILE, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh) or {}
    return tuple(clean_items(raw.get("items") or []))


def clean_items(raw) -> list[dict]:
    """Validate a list of check items; UserValueError naming the first problem."""
    if not isinstance(raw, list) or not raw:
        raise UserValueError("'items' must be a non-empty list.", "invalid_check_items")
    if len(raw) > MAX_ITEMS:
        raise UserValueError(f"At most {MAX_ITEMS} check items.", "invalid_check_items")
    out = []
    for i, item in enumerate(raw, start=1):
        if not isinstance(item, dict) or set(item) - set(FIELDS):
            raise UserValueError(f"Check item {i}: an object with {', '.join(FIELDS)}.", "invalid_check_items")
        clean = {}
        for name, max_len in FIELDS.items():
            value = item.get(name, "")
            if not isinstance(value, str) or len(value.strip()) > max_len or any(ord(c) < 32 for c in value):
                raise UserValueError(f"Check item {i}: '{name}' must be text of at most {max_len} characters.",
                                     "invalid_check_items")
            clean[name] = value.strip()
        if not all(clean[n] for n in REQUIRED):
            raise UserValueError(f"Check item {i}: 'object' and 'item' are required.", "invalid_check_items")
        out.append(clean)
    return out


def project_items(project: Project) -> tuple[list[dict], bool]:
    """(the project's check items, whether they are the defaults)."""
    text = db.session().scalar(select(CheckItemList.items).where(CheckItemList.project_id == project.id))
    if text is None:
        return [dict(i) for i in default_items()], True
    return json.loads(text), False


def require_editor(user: User, project: Project) -> None:
    """403 unless `user` may change the project's check items (pm of the project, admin)."""
    require(may_manage_project(user, project))


def set_items(user: User, project: Project, raw) -> list[dict]:
    """Replace the project's check items (pm of the project or admin)."""
    require(may_manage_project(user, project))
    items = clean_items(raw)
    s = db.session()
    row = s.scalar(select(CheckItemList).where(CheckItemList.project_id == project.id))
    if row is None:
        row = CheckItemList(project_id=project.id)
        s.add(row)
    row.items = json.dumps(items, ensure_ascii=False)
    row.updated_by_id = user.id
    row.updated_at = now()
    s.flush()
    audit.record("project.check_items", user, object_type="project", object_id=project.id,
                 project_code=project.code, count=len(items))
    return items


def table_rows(items: list[dict]) -> list[dict]:
    """The items as outline rows keyed by the Chinese column headings, numbered."""
    return [{"序号": str(n), **{COLUMNS[k]: v for k, v in item.items()}} for n, item in enumerate(items, start=1)]
