"""Form fields of the pages through the same cleaning as the API (core.cleaning); a refusal
is an operation error whose code the page shows in the user's language (web.form_errors,
core.messages). The request guard has already refused control characters
in URL-encoded forms; these bound lengths and cover multipart forms (upload note)."""
from __future__ import annotations

from datetime import date, datetime

from flask import request

from core import cleaning
from core.clock import local_tz
from core.errors import UserValueError


def form_text(name: str, *, max_len: int, multiline: bool = False) -> str:
    """The stripped text of form field `name` ("" when absent); 400-style refusal (flashed by
    the page) when longer than `max_len` or holding a control character."""
    value = (request.form.get(name) or "").strip()
    if len(value) > max_len:
        raise UserValueError(f"Field '{name}' is longer than {max_len} characters.", "too_long", max_len=max_len)
    if cleaning.bad_character(value, multiline) is not None:
        raise UserValueError(f"Field '{name}' contains a control character.", "invalid_text")
    return value


def form_datetime(name: str) -> datetime | None:
    """A <input type=datetime-local> value read in HANDOVER_TZ, inside the contract window
    (core.cleaning.DATE_MIN..DATE_MAX); empty = None (the operation then uses now)."""
    raw = request.form.get(name)
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise UserValueError(f"'{name}' must be a date and time.", "invalid_datetime") from None
    if value.tzinfo is not None:
        value = value.replace(tzinfo=None)
    cleaning.check_datetime(value, name)  # invalid_date, shown as 日期须在 … 之间 (core.messages)
    return value.replace(tzinfo=local_tz())


def form_date(name: str):
    """A <input type=date> value (YYYY-MM-DD) inside the contract window; empty = None."""
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise UserValueError(f"'{name}' must be a date YYYY-MM-DD.", "invalid_date") from None
    return cleaning.check_date(day, name)
