"""The seam through which a generated DOCX draft is finished before it is stored, without
deliverables importing the area that finishes it: renditions.init_app registers the worker's
目录 fill (renditions/toc.py). No finisher registered: the draft is stored as rendered."""
from __future__ import annotations

from typing import Callable

_finishers: list[Callable] = []


def on_docx_draft(fn: Callable) -> None:
    """Call `fn(docx_bytes, date) -> docx_bytes` on every generated DOCX draft (idempotent per function)."""
    if fn not in _finishers:
        _finishers.append(fn)


def finish_docx(data: bytes, date) -> bytes:
    """The draft after every registered finisher (each returns its input when it has nothing to do)."""
    for fn in _finishers:
        data = fn(data, date)
    return data
