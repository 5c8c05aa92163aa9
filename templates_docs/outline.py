"""Outlines: the data files in ``outlines/`` and their validation.

An outline file describes one document type::

    key: support_manual          # the catalog key, same as the file name
    name: 技术支持手册
    title: "{project_name}..."   # optional: 公文 title when it differs from the name
    profile: tech                # tech (技术) | gongwen (公文)
    form_type: false             # true: ends with the 甲方 / 乙方 signature table
    landscape: false             # true: body pages in landscape (wide tables)
    form_only: false             # true: title and the tables only (a standalone form)
    record: false                # true: a recurring record: title block, no cover / 修订记录 / 目录
    basis: GB/T 8567-2006 ...    # optional: the standard or practice followed
    sections:                    # tree, at most four levels
      - title: 引言
        hint: what to write here (grey italics in the DOCX)
        text: [optional paragraphs already filled in, may use {project_name} ...]
        appendix: false          # top level only: numbered 附录A, A.1 ...
        tables:
          - caption: 故障等级
            columns: [级别, 含义, 响应时间]   # a grid table with a header row
            rows: [[...], ...]               # optional example rows
            blank_rows: 2                    # empty rows after the rows
            fill: fault_stats                # rows from facts.extra["fault_stats"]
            days: true                       # week grid: + 周一 .. 周日 columns (blank cells)
          - caption: 故障申报表
            fields: [申报单位, 申报人]        # a two-column form table (项目, 内容)
            fill: fault                       # values from facts.extra["fault"] (dict)
            rows: [[申报单位, "{client}"]]      # optional defaults of form fields
        sections: [...]
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

OUTLINE_DIR = Path(__file__).resolve().parent / "outlines"
PROFILES = ("tech", "gongwen")
MAX_DEPTH = 4
FORM_COLUMNS = ("项目", "内容")
WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


class OutlineError(ValueError):
    """An outline file does not follow the schema."""


@dataclass(frozen=True)
class TableSpec:
    """A table of an outline section: a grid (``columns``) or a form (``fields``)."""

    caption: str
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    blank_rows: int = 0
    fill: str = ""
    fields: tuple[str, ...] = ()
    days: bool = False  # a week grid: one more column per day, 周一 .. 周日

    @property
    def is_form(self) -> bool:
        return bool(self.fields)

    @property
    def header(self) -> tuple[str, ...]:
        """The header row as rendered."""
        if self.is_form:
            return FORM_COLUMNS
        return self.columns + WEEKDAYS if self.days else self.columns


@dataclass(frozen=True)
class Section:
    """A heading with its hint, prefilled text, tables and subsections."""

    title: str
    hint: str
    text: tuple[str, ...] = ()
    tables: tuple[TableSpec, ...] = ()
    sections: tuple["Section", ...] = ()
    appendix: bool = False


@dataclass(frozen=True)
class Outline:
    """One document type."""

    key: str
    name: str
    profile: str
    sections: tuple[Section, ...]
    form_type: bool = False
    landscape: bool = False
    form_only: bool = False
    basis: str = ""
    title: str = ""
    record: bool = False  # a recurring record: title block only, no cover, 修订记录 or 目录

    def walk(self):
        """Yield ``(level, section)`` depth first; level 1 is a top-level section."""
        def rec(sections, level):
            for s in sections:
                yield level, s
                yield from rec(s.sections, level + 1)
        yield from rec(self.sections, 1)

    def tables(self) -> list[TableSpec]:
        """All tables of the body in document order."""
        return [t for _, s in self.walk() for t in s.tables]


def _str_tuple(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list):
        raise OutlineError(f"{where}: expected a list")
    return tuple("" if v is None else str(v) for v in value)


def _table(raw: Any, where: str) -> TableSpec:
    if not isinstance(raw, dict):
        raise OutlineError(f"{where}: a table must be a mapping")
    unknown = set(raw) - {"caption", "columns", "rows", "blank_rows", "fill", "fields", "days"}
    if unknown:
        raise OutlineError(f"{where}: unknown table keys {sorted(unknown)}")
    caption = str(raw.get("caption") or "").strip()
    if not caption:
        raise OutlineError(f"{where}: a table needs a caption")
    columns = _str_tuple(raw.get("columns"), where)
    fields = _str_tuple(raw.get("fields"), where)
    if bool(columns) == bool(fields):
        raise OutlineError(f"{where} {caption}: give either columns or fields")
    width = len(columns) if columns else len(FORM_COLUMNS)
    rows = []
    for i, row in enumerate(raw.get("rows") or []):
        cells = _str_tuple(row, where)
        if len(cells) != width:
            raise OutlineError(f"{where} {caption}: row {i + 1} has {len(cells)} cells, expected {width}")
        rows.append(cells)
    if fields:
        unknown_fields = [r[0] for r in rows if r[0] not in fields]
        if unknown_fields:
            raise OutlineError(f"{where} {caption}: default rows for unknown fields {unknown_fields}")
    blank = raw.get("blank_rows", 0 if rows or fields else 2)
    if not isinstance(blank, int) or blank < 0:
        raise OutlineError(f"{where} {caption}: blank_rows must be a non-negative integer")
    return TableSpec(caption=caption, columns=columns, rows=tuple(rows), blank_rows=blank,
                     fill=str(raw.get("fill") or ""), fields=fields, days=bool(raw.get("days", False)))


def _section(raw: Any, where: str, depth: int) -> Section:
    if not isinstance(raw, dict):
        raise OutlineError(f"{where}: a section must be a mapping")
    unknown = set(raw) - {"title", "hint", "text", "tables", "sections", "appendix"}
    if unknown:
        raise OutlineError(f"{where}: unknown section keys {sorted(unknown)}")
    title = str(raw.get("title") or "").strip()
    hint = str(raw.get("hint") or "").strip()
    if not title:
        raise OutlineError(f"{where}: a section needs a title")
    if not hint:
        raise OutlineError(f"{where} {title}: a section needs a hint")
    if depth > MAX_DEPTH:
        raise OutlineError(f"{where} {title}: deeper than {MAX_DEPTH} levels")
    appendix = bool(raw.get("appendix", False))
    if appendix and depth != 1:
        raise OutlineError(f"{where} {title}: only top-level sections can be appendices")
    here = f"{where} {title}"
    return Section(
        title=title,
        hint=hint,
        text=_str_tuple(raw.get("text"), here),
        tables=tuple(_table(t, here) for t in raw.get("tables") or []),
        sections=tuple(_section(s, here, depth + 1) for s in raw.get("sections") or []),
        appendix=appendix,
    )


def parse_outline(raw: Any, key: str) -> Outline:
    """Validate the parsed YAML of one outline file and build an :class:`Outline`."""
    if not isinstance(raw, dict):
        raise OutlineError(f"{key}: the file must hold a mapping")
    unknown = set(raw) - {"key", "name", "title", "profile", "form_type", "landscape", "form_only",
                       "basis", "sections", "record"}
    if unknown:
        raise OutlineError(f"{key}: unknown keys {sorted(unknown)}")
    if raw.get("key") != key:
        raise OutlineError(f"{key}: key field {raw.get('key')!r} differs from the file name")
    profile = raw.get("profile")
    if profile not in PROFILES:
        raise OutlineError(f"{key}: profile must be one of {PROFILES}")
    sections = raw.get("sections")
    if not isinstance(sections, list) or not sections:
        raise OutlineError(f"{key}: sections must be a non-empty list")
    outline = Outline(
        key=key,
        name=str(raw.get("name") or "").strip(),
        profile=profile,
        sections=tuple(_section(s, key, 1) for s in sections),
        form_type=bool(raw.get("form_type", False)),
        landscape=bool(raw.get("landscape", False)),
        form_only=bool(raw.get("form_only", False)),
        basis=str(raw.get("basis") or "").strip(),
        title=str(raw.get("title") or "").strip(),
        record=bool(raw.get("record", False)),
    )
    if not outline.name:
        raise OutlineError(f"{key}: name is required")
    seen_appendix = False
    for s in outline.sections:
        if seen_appendix and not s.appendix:
            raise OutlineError(f"{key}: appendices must come last")
        seen_appendix = seen_appendix or s.appendix
    return outline


def outline_keys() -> list[str]:
    """Keys of all outline files, sorted."""
    return sorted(p.stem for p in OUTLINE_DIR.glob("*.yaml"))


@lru_cache(maxsize=None)
def load_outline(key: str) -> Outline:
    """The outline of ``key``; ``KeyError`` for an unknown key."""
    if not isinstance(key, str) or key not in outline_keys():
        raise KeyError(key)
    with open(OUTLINE_DIR / f"{key}.yaml", encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    return parse_outline(raw, key)
