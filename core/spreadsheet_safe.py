"""Excel-safe spreadsheet writing in one place: every CSV and XLSX the app produces goes
through here, so user text (a project name, a signer's name, a file name) that starts like
a formula (= + - @, or a tab / carriage return before one) is never run as a formula.

- CSV has no cell types: such a value gets a leading apostrophe (OWASP's advice), which
  Excel and LibreOffice show as text.
- XLSX has: the value is kept exactly and stored as a string cell with Excel's "quote
  prefix" (so it stays text even when the cell is edited), never as a formula.
"""
from __future__ import annotations

import csv
import io
from typing import Any, Iterable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: Any) -> bool:
    """True for a string a spreadsheet would read as the start of a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def neutralise(value: Any) -> Any:
    """`value` for a CSV cell: formula-like text gets a leading apostrophe; others unchanged."""
    return "'" + value if is_formula_like(value) else value


def csv_bytes(rows: Iterable[Iterable[Any]]) -> bytes:
    """Rows as CSV for Excel: UTF-8 with BOM, CRLF line ends, every cell neutralised."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    for row in rows:
        w.writerow([neutralise(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def xlsx_text(cell) -> None:
    """Make an openpyxl cell holding formula-like text a plain string cell (quote-prefixed)."""
    if is_formula_like(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True


def xlsx_append(ws, values: Iterable[Any]) -> None:
    """Append a row to an openpyxl worksheet with every cell made safe (see xlsx_text)."""
    ws.append(list(values))
    for cell in ws[ws.max_row]:
        xlsx_text(cell)
