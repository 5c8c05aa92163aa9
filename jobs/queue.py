"""The huey instance for one app: SQLite in the data folder, or Redis when configured."""
from __future__ import annotations

from pathlib import Path

from huey import Huey, RedisHuey, SqliteHuey


def make_huey(config: dict) -> Huey:
    """A queue named `handover`; immediate=False even in tests, so jobs really go through
    the storage and a worker (tests run the worker or execute the queued task explicitly)."""
    url = config.get("HANDOVER_REDIS_URL") or ""
    if url:
        return RedisHuey("handover", url=url, utc=True)
    path = Path(config["HANDOVER_DATA"]) / "jobs.db"
    # timeout: SQLite busy timeout in seconds, for several workers on one file.
    return SqliteHuey("handover", filename=str(path), utc=True, timeout=30)
