"""The seam through which a new version's text gets indexed, without deliverables importing
search (search builds on deliverables). search.init_app registers the indexer; the upload
operation calls prepare() before its first write (extraction of a hostile file may take
seconds and must hold no lock) and index() inside its transaction (searchable on commit)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

_prepare: Callable[[Path, str], Any] | None = None
_index: Callable[[Any, Any], None] | None = None


def register_indexer(prepare: Callable[[Path, str], Any], index: Callable[[Any, Any], None]) -> None:
    """Set the indexer (idempotent: the same functions for every app instance)."""
    global _prepare, _index
    _prepare, _index = prepare, index


def _require() -> None:
    if _prepare is None or _index is None:
        raise RuntimeError("no text indexer registered: create the app with create_app()")


def prepare(path: Path, filename: str) -> Any:
    """Extract what will be indexed (bounded, outside any write)."""
    _require()
    return _prepare(path, filename)


def index(version, prepared: Any) -> None:
    """Store `prepared` as `version`'s indexed text, in the current transaction."""
    _require()
    _index(version, prepared)
