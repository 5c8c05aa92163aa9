"""Safe display/download file names: no path parts, no control characters, <= 255 bytes."""
from __future__ import annotations

import unicodedata

from core.errors import UserValueError

MAX_BYTES = 255


def clean_filename(raw: str | None) -> str:
    """Keep the last path part, drop control characters, cap at 255 UTF-8 bytes (keeping the extension)."""
    name = (raw or "").replace("\\", "/").split("/")[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().strip(".").strip()
    if not name:
        raise UserValueError("The file has no usable name.", "invalid_filename")
    if len(name.encode("utf-8")) > MAX_BYTES:
        stem, dot, ext = name.rpartition(".")
        ext = dot + ext if dot and len(ext.encode("utf-8")) <= 16 else ""
        stem = name[: len(name) - len(ext)] if ext else name
        budget = MAX_BYTES - len(ext.encode("utf-8"))
        stem = stem.encode("utf-8")[:budget].decode("utf-8", "ignore")
        name = stem + ext
    return name


def ascii_fallback(name: str) -> str:
    """An ASCII-only name for the plain `filename=` parameter of Content-Disposition."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    safe = lambda s: "".join(c if c.isascii() and (c.isalnum() or c in "-_ ") else "_" for c in s)  # noqa: E731
    out = safe(stem).strip() or "download"
    return out + ("." + safe(ext) if ext else "")
