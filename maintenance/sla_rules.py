"""The SLA rules as data (sla.yaml) and THE function that computes a deadline.

Every respond-by and restore-by in the application comes from `deadline()`;
which terms apply (warranty or after-warranty) comes from `terms_for()`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Mapping
from zoneinfo import ZoneInfo

import yaml

SLA_FILE = Path(__file__).with_name("sla.yaml")
TERMS = ("warranty", "after_warranty")
KINDS = ("respond", "restore")


@dataclass(frozen=True)
class Level:
    number: int
    short_zh: str
    name_zh: str
    name_en: str
    meaning_zh: str
    compensation: bool


@dataclass(frozen=True)
class Terms:
    key: str
    name_zh: str
    respond_hours: Mapping[str, float]
    restore_hours: Mapping[int, float]


@dataclass(frozen=True)
class SlaRules:
    levels: Mapping[int, Level]
    channels: Mapping[str, str]
    terms: Mapping[str, Terms]
    step: int
    top_level: int

    @property
    def level_numbers(self) -> tuple[int, ...]:
        return tuple(sorted(self.levels))

    @property
    def channel_keys(self) -> tuple[str, ...]:
        return tuple(self.channels)

    def next_level(self, level: int) -> int:
        """The level a fault rises to when its restore deadline passes (top stays top)."""
        return max(self.top_level, level - self.step)


def _hours(raw: Mapping, keys, what: str) -> dict:
    out = {}
    for k in keys:
        value = raw.get(k)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ValueError(f"sla.yaml: {what} for {k!r} must be a positive number of hours")
        out[k] = float(value)
    return out


def parse_rules(raw: dict) -> SlaRules:
    """Validate the raw YAML; raise ValueError naming the first problem."""
    levels = {int(n): Level(int(n), v.get("short_zh", str(n)), v["name_zh"], v.get("name_en", ""), v.get("meaning_zh", ""),
                    bool(v.get("compensation", False)))
              for n, v in raw["levels"].items()}
    channels = {str(k): (v or {}).get("name_zh", k) for k, v in raw["channels"].items()}
    terms = {}
    for key in TERMS:
        t = raw["terms"][key]
        terms[key] = Terms(key, t.get("name_zh", key), _hours(t["respond_hours"], channels, f"{key}.respond_hours"),
                           _hours({int(k): v for k, v in t["restore_hours"].items()}, levels,
                                  f"{key}.restore_hours"))
    esc = raw.get("escalation") or {}
    step, top = int(esc.get("step", 1)), int(esc.get("top_level", min(levels)))
    if step < 1 or top not in levels:
        raise ValueError("sla.yaml: escalation.step must be >= 1 and top_level a known level")
    return SlaRules(levels, channels, terms, step, top)


@lru_cache(maxsize=1)
def get_rules() -> SlaRules:
    with open(SLA_FILE, encoding="utf-8") as fh:
        return parse_rules(yaml.safe_load(fh))


def terms_for(warranty_until: date | None, reported_at: datetime, tz: ZoneInfo) -> str:
    """'warranty' while the reported date (in `tz`) <= warranty_until, or without one."""
    if warranty_until is None:
        return "warranty"
    return "warranty" if reported_at.astimezone(tz).date() <= warranty_until else "after_warranty"


def deadline(kind: str, start: datetime, *, terms: str, level: int | None = None,
             channel: str | None = None, rules: SlaRules | None = None) -> datetime:
    """THE deadline rule: `start` plus the hours the terms give.

    kind 'respond' depends on the channel; kind 'restore' on the (current) level.
    Hours are elapsed time (7x24 service), so no calendar or DST is involved.
    """
    rules = rules or get_rules()
    t = rules.terms[terms]
    if kind == "respond":
        hours = t.respond_hours[channel]
    elif kind == "restore":
        hours = t.restore_hours[level]
    else:
        raise ValueError(f"unknown deadline kind {kind!r}")
    return start + timedelta(hours=hours)


def _hours_zh(hours: float) -> str:
    return f"{hours:g} 小时"


def level_table_rows() -> list[list[str]]:
    """The 故障等级 table of the 技术支持手册, from the same rules the clocks use:
    [故障等级, 判定标准, 响应时间, 恢复时间, 说明]."""
    rules = get_rules()
    w, a = rules.terms["warranty"], rules.terms["after_warranty"]
    fastest, slowest = min(w.respond_hours.values()), max(w.respond_hours.values())
    respond_note = (f"邮件/远程 {_hours_zh(slowest)}内响应；质保期后 {_hours_zh(max(a.respond_hours.values()))}内响应"
                    if slowest != fastest else f"质保期后 {_hours_zh(max(a.respond_hours.values()))}内响应")
    rows = []
    for n in rules.level_numbers:
        lv = rules.levels[n]
        note = respond_note + ("；未按时恢复的，乙方赔偿甲方相关损失" if lv.compensation else "")
        rows.append([lv.name_zh, lv.meaning_zh, _hours_zh(fastest), _hours_zh(w.restore_hours[n]), note])
    return rows
