"""The one source of "now", injectable for tests (app.config["CLOCK"] = callable)."""
from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def now() -> datetime:
    """Current time, timezone-aware UTC; tests may pin it through config CLOCK."""
    if has_app_context():
        clock = current_app.config.get("CLOCK")
        if clock is not None:
            return clock().astimezone(timezone.utc)
    return datetime.now(timezone.utc)


def local_tz() -> ZoneInfo:
    """The deadline/display time zone (HANDOVER_TZ)."""
    name = current_app.config.get("HANDOVER_TZ", "Asia/Shanghai") if has_app_context() else "Asia/Shanghai"
    return ZoneInfo(name)


def iso(dt: datetime | None) -> str | None:
    """ISO 8601 with a ±HH:MM offset, in the local time zone, for API answers.

    A historical local mean time (e.g. +08:05:43 before 1901 in Asia/Shanghai) has no
    ISO 8601 form; such an instant is given in UTC instead (same instant, readable offset)."""
    if dt is None:
        return None
    local = dt.astimezone(local_tz())
    offset = local.utcoffset()
    if offset is not None and offset.total_seconds() % 60:
        local = dt.astimezone(timezone.utc)
    return local.isoformat(timespec="seconds")


def use_local_time_zone(name: str) -> None:
    """Make HANDOVER_TZ the process's local time zone (TZ + tzset).

    Libraries that write wall-clock times without a zone use the process's local time: the
    DOS times of ZIP entries (zipstream-ng) above all. A bundle unpacked on the client's PC
    must show the times of Beijing, not of the server's UTC; log lines follow too."""
    if os.environ.get("TZ") != name:
        os.environ["TZ"] = name
        time.tzset()
