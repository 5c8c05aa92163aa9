"""The one input-cleaning place: ids, dates and text, for the API and the pages alike.

- ids: every integer id in a URL (`<int:...>`, also spelled `<id:...>`) is bounded to the
  database's integer range (primary keys are `Integer`, 32-bit on PostgreSQL); a larger
  one matches no route, so it answers 404 like any unknown id. Ids inside bodies, query
  strings and forms go through `check_id`.
- dates: every date and date-time a user gives must fall in the window a contract can
  have (DATE_MIN .. DATE_MAX); outside it is a 400 `invalid_date`.
- text: NUL and other control characters (C0, DEL, C1) and lone surrogates are refused
  (400 `invalid_text`); tab, newline and carriage return only in multi-line fields;
  lengths are bounded by each field. A guard before every request refuses them in the
  path (404), the query string and URL-encoded forms (400), so no such value ever
  reaches the database (PostgreSQL refuses NUL in text). JSON bodies and multipart
  fields are checked by the field validators (api/inputs.py, the page forms).
"""
from __future__ import annotations

import unicodedata
from datetime import date, datetime

from flask import Flask, request
from werkzeug.routing import IntegerConverter, ValidationError

from core.errors import NotFound, UserValueError

DB_ID_MIN = 1
DB_ID_MAX = 2**31 - 1          # PostgreSQL `integer` (SQLAlchemy Integer primary keys)
DATE_MIN = date(1990, 1, 1)
DATE_MAX = date(2100, 12, 31)
MAX_QUERY_VALUE = 16384        # characters in one query-string or URL-encoded form value (fields bound tighter)
MULTILINE_OK = "\t\n\r"


def up_to_regex(n: int) -> str:
    """A regular expression matching exactly the decimal numbers 1..n (no leading zeros)."""
    digits = str(n)
    parts = [digits]
    if len(digits) > 1:
        parts.append(r"[1-9]\d{0,%d}" % (len(digits) - 2))
    for i, d in enumerate(digits):
        low = 1 if i == 0 else 0
        if int(d) > low:
            rest = len(digits) - i - 1
            parts.append(f"{digits[:i]}[{low}-{int(d) - 1}]" + (r"\d{%d}" % rest if rest else ""))
    return "|".join(parts)


class IdConverter(IntegerConverter):
    """A URL integer bounded to the database's id range. The bound is in the regex itself, so an
    id out of range matches no route at all and answers 404 (a failed conversion after
    matching would make Werkzeug answer 405 when another method's rule shares the path)."""
    regex = up_to_regex(DB_ID_MAX)

    def __init__(self, map, fixed_digits: int = 0, min: int | None = DB_ID_MIN, max: int | None = DB_ID_MAX,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
        self.regex = up_to_regex(DB_ID_MAX)  # `signed` must not widen it

    def to_python(self, value: str):
        if len(value) > len(str(DB_ID_MAX)):  # cheap refusal before int() of a long digit string
            raise ValidationError()
        return super().to_python(value)


def valid_id(value) -> bool:
    """True for an int (not bool) inside the database's id range."""
    return isinstance(value, int) and not isinstance(value, bool) and DB_ID_MIN <= value <= DB_ID_MAX


def check_id(value, name: str) -> int:
    """An id from a body, query string or form: an integer (or its decimal string) → int;
    not an integer → 400; outside the database's range → 404 (no such thing)."""
    if isinstance(value, str):
        raw = value.strip()
        if not raw.isascii() or not raw.isdigit():
            raise UserValueError(f"'{name}' must be an integer id.", "wrong_type")
        if len(raw) > len(str(DB_ID_MAX)):
            raise NotFound(f"No object with {name} {raw[:20]}….")
        value = int(raw)
    if isinstance(value, bool) or not isinstance(value, int):
        raise UserValueError(f"'{name}' must be an integer id.", "wrong_type")
    if not valid_id(value):
        raise NotFound(f"No object with {name} {value}.")
    return value


def bad_character(value: str, multiline: bool = False) -> str | None:
    """The first character a stored text may not contain, or None."""
    for ch in value:
        if ch in MULTILINE_OK and multiline:
            continue
        if unicodedata.category(ch) in ("Cc", "Cs"):
            return ch
    return None


def check_text(value: str, name: str, *, max_len: int, multiline: bool = False) -> str:
    """`value` if it is at most `max_len` characters without control characters, else 400."""
    if len(value) > max_len:
        raise UserValueError(f"Field '{name}' is longer than {max_len} characters.", "too_long", max_len=max_len)
    ch = bad_character(value, multiline)
    if ch is not None:
        raise UserValueError(f"Field '{name}' contains a control character (U+{ord(ch):04X}).", "invalid_text")
    return value


def check_date(value: date, name: str) -> date:
    """`value` if it lies in the contract window, else 400 `invalid_date`."""
    day = value.date() if isinstance(value, datetime) else value
    if not DATE_MIN <= day <= DATE_MAX:
        raise UserValueError(f"'{name}' must be between {DATE_MIN.isoformat()} and {DATE_MAX.isoformat()}.",
                             "invalid_date")
    return value


def check_datetime(value: datetime, name: str) -> datetime:
    """`value` (aware or naive) if its date lies in the contract window, else 400 `invalid_date`.
    Checked on the wall-clock date before any time-zone conversion, which could overflow."""
    check_date(value.date(), name)
    return value


def _guard_request() -> None:
    """Refuse control characters before any view or database work: in the path → 404,
    in the query string or a URL-encoded form → 400."""
    if bad_character(request.path) is not None:
        raise NotFound("No such page or object.")
    fields = list(request.args.items(multi=True))
    if request.mimetype == "application/x-www-form-urlencoded":
        fields += list(request.form.items(multi=True))
    for key, value in fields:
        if bad_character(key) is not None:
            raise UserValueError("A parameter name contains a control character.", "invalid_text")
        check_text(value, key[:64], max_len=MAX_QUERY_VALUE, multiline=True)


def init_app(app: Flask) -> None:
    """Bound URL ids (before any blueprint adds rules) and install the request guard."""
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["id"] = IdConverter
    app.before_request(_guard_request)
