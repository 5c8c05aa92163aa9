"""The seam through which other areas learn of a new version inside its transaction, without
deliverables importing them (they build on deliverables). renditions.init_app registers the
hook that promises the version's rendition (a pending row, committed with the version)."""
from __future__ import annotations

from typing import Callable

_hooks: list[Callable] = []


def on_version_added(fn: Callable) -> None:
    """Call `fn(version)` for every new version, in its transaction (idempotent per function)."""
    if fn not in _hooks:
        _hooks.append(fn)


def version_added(version) -> None:
    """Run the hooks for `version` (flushed, not yet committed)."""
    for fn in _hooks:
        fn(version)
