"""The one check for every `next=` the app honours (after login, after a language switch).

Only a same-origin path is followed. A browser normalises a Location before resolving it:
it drops tabs, CR and LF anywhere, strips leading/trailing spaces and control characters,
and reads a backslash as a slash. So `/\\t/evil.com` becomes `//evil.com` (another host),
and a raw CR/LF would not even fit in a header. Anything that could end up with a scheme
or a host, or that carries a control character, falls back to the default.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

# C0 controls, DEL and the C1 range: never part of a path the app itself generated.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def safe_next(target: str | None, default: str = "/") -> str:
    """`target` if it is a local path such as `/projects/P1?x=1`, else `default`."""
    # A path the app generated never holds a control character, a backslash (a browser reads
    # it as "/") or surrounding spaces (a browser strips them).
    if not target or _CONTROL.search(target) or "\\" in target or target != target.strip():
        return default
    if not target.startswith("/") or target.startswith("//"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
