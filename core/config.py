"""Settings from the environment, in one table (documented in README, checked by a test)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    doc: str


SETTINGS: tuple[Setting, ...] = (
    Setting("HANDOVER_DATA", "./instance", "Folder for everything the app stores (database, blobs, search index)."),
    Setting("DATABASE_URL", "", "Database URL; default SQLite at $HANDOVER_DATA/handover.db; postgresql://... for a shared server."),
    Setting("HANDOVER_MAX_UPLOAD_MB", "200", "Largest upload in MiB; larger gives 413."),
    Setting("HANDOVER_TZ", "Asia/Shanghai", "Time zone of deadlines, due dates and displayed times."),
    Setting("HANDOVER_SEARCH", "db", "Search engine: `db` (SQLite FTS5 / PostgreSQL tsvector) or `whoosh`."),
    Setting("HANDOVER_SECRET_KEY", "", "Session/CSRF secret; default: a random key kept in $HANDOVER_DATA/secret_key."),
    Setting("HANDOVER_VENDOR", "交付通系统集成有限公司", "Vendor (乙方) name printed on generated documents."),
)


def load_config(overrides: dict | None = None) -> dict:
    """Build the Flask config from the environment, then apply explicit overrides."""
    env = {s.name: os.environ.get(s.name, s.default) for s in SETTINGS}
    overrides = dict(overrides or {})
    data = Path(overrides.get("HANDOVER_DATA") or env["HANDOVER_DATA"]).resolve()
    cfg = {
        "HANDOVER_DATA": str(data),
        "DATABASE_URL": env["DATABASE_URL"] or f"sqlite:///{data / 'handover.db'}",
        "HANDOVER_MAX_UPLOAD_MB": int(env["HANDOVER_MAX_UPLOAD_MB"]),
        "HANDOVER_TZ": env["HANDOVER_TZ"],
        "HANDOVER_SEARCH": env["HANDOVER_SEARCH"],
        "HANDOVER_VENDOR": env["HANDOVER_VENDOR"],
        "SECRET_KEY": env["HANDOVER_SECRET_KEY"] or None,
        "JSON_AS_ASCII": False,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "zh",
        "CLOCK": None,
    }
    cfg.update(overrides)
    return cfg
