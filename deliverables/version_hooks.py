"""The seam through which other areas learn of a new version inside its transaction, without
deliverables importing them (they build on deliverables). renditions.init_app registers the
hook that promises the version's rendition (a pending row, committed with the version)."""
from __future__ import annotations

from typing import Callable

_hooks: list[Callable] = []


def on_version_added(fn: Callable) -> None:
    """Call `fn(versions)` with the new versions of every upload or import batch (a list,
    flushed, not yet committed), in their transaction (idempotent per function)."""
    if fn not in _hooks:
        _hooks.append(fn)


def versions_added(versions: list) -> None:
    """Run the hooks for `versions` (flushed, not yet committed), once for the whole batch."""
    for fn in _hooks:
        fn(versions)
