"""Parsing and validating request input into clear 400s (the shared error shape)."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from flask import request

from core import cleaning
from core.errors import UserValueError


def json_body() -> dict:
    """The request's JSON object, or a 400 for a missing, malformed or non-object body."""
    data = request.get_json(force=True, silent=True)
    if data is None:
        raw = request.get_data(cache=True)
        raise UserValueError("The body must be a JSON object." if raw else "A JSON body is required.",
                             "malformed_json")
    if not isinstance(data, dict):
        raise UserValueError("The body must be a JSON object.", "malformed_json")
    return data


def text(body: dict, name: str, *, required: bool = True, max_len: int = 200, default: str = "",
         multiline: bool = False) -> str:
    """A string field, stripped, at most `max_len` characters, without control characters
    (tab and line breaks only when `multiline`); see core.cleaning."""
    value = body.get(name)
    if value is None:
        if required:
            raise UserValueError(f"Field '{name}' is required.", "missing_field")
        return default
    if not isinstance(value, str):
        raise UserValueError(f"Field '{name}' must be a string.", "wrong_type")
    value = value.strip()
    if required and not value:
        raise UserValueError(f"Field '{name}' must not be empty.", "missing_field")
    return cleaning.check_text(value, name, max_len=max_len, multiline=multiline)


def integer(body: dict, name: str, *, required: bool = True, lo: int | None = None, hi: int | None = None):
    value = body.get(name)
    if value is None:
        if required:
            raise UserValueError(f"Field '{name}' is required.", "missing_field")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise UserValueError(f"Field '{name}' must be an integer.", "wrong_type")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise UserValueError(f"Field '{name}' must be between {lo} and {hi}.", "out_of_range")
    return value


def choice(body: dict, name: str, options: tuple[str, ...], *, required: bool = True, default: str | None = None):
    value = body.get(name)
    if value is None:
        if required:
            raise UserValueError(f"Field '{name}' is required.", "missing_field")
        return default
    if value not in options:
        raise UserValueError(f"Field '{name}' must be one of: {', '.join(options)}.", "invalid_choice")
    return value


def parse_date(value: Any, name: str) -> date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise UserValueError(f"'{name}' must be a date string YYYY-MM-DD.", "wrong_type")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise UserValueError(f"'{name}' must be a date YYYY-MM-DD.", "invalid_date") from None
    return cleaning.check_date(day, name)


def parse_datetime(value: Any, name: str, tz) -> datetime | None:
    """ISO 8601; a value without offset is read in `tz` (HANDOVER_TZ). Returns UTC."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 64:
        raise UserValueError(f"'{name}' must be an ISO 8601 date-time string.", "wrong_type")
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UserValueError(f"'{name}' must be an ISO 8601 date-time.", "invalid_datetime") from None
    cleaning.check_datetime(dt, name)  # before any conversion: year 1 or 9999 would overflow
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    return dt.astimezone(timezone.utc)


def query_int(name: str, default: int, lo: int, hi: int) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise UserValueError(f"Query parameter '{name}' must be an integer.", "wrong_type") from None
    if not lo <= value <= hi:
        raise UserValueError(f"Query parameter '{name}' must be between {lo} and {hi}.", "out_of_range")
    return value


def query_choice(name: str, options: tuple[str, ...]) -> str | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    if raw not in options:
        raise UserValueError(f"Query parameter '{name}' must be one of: {', '.join(options)}.", "invalid_choice")
    return raw


def query_id(name: str, *, required: bool = False) -> int | None:
    """An id in the query string (e.g. `against=`): 400 if not an integer, 404 outside the
    database's id range (core.cleaning.check_id)."""
    raw = request.args.get(name)
    if raw in (None, ""):
        if required:
            raise UserValueError(f"Query parameter '{name}' is required.", "missing_field")
        return None
    return cleaning.check_id(raw, name)


def id_field(body: dict, name: str, *, required: bool = True) -> int | None:
    """An id in a JSON body or form (e.g. a deliverable_id filter): same rules as query_id."""
    value = body.get(name)
    if value is None:
        if required:
            raise UserValueError(f"Field '{name}' is required.", "missing_field")
        return None
    return cleaning.check_id(value, name)
