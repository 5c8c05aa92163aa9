"""The seam through which a new version's text gets indexed, without deliverables importing
search (search builds on deliverables). search.init_app registers the indexer; the upload
operation calls prepare() before its first write (extraction of a hostile file may take
seconds and must hold no lock) and index() inside its transaction (searchable on commit)."""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Callable

_prepare: Callable[[Path, str], Any] | None = None
_index: Callable[[Any, Any], None] | None = None
_index_many: Callable[[list], None] | None = None
_pending: ContextVar[list | None] = ContextVar("text_index_pending", default=None)


def register_indexer(prepare: Callable[[Path, str], Any], index: Callable[[Any, Any], None],
                     index_many: Callable[[list], None] | None = None) -> None:
    """Set the indexer (idempotent: the same functions for every app instance); `index_many`
    takes a list of (version, prepared) at once (the bulk import's batches)."""
    global _prepare, _index, _index_many
    _prepare, _index, _index_many = prepare, index, index_many


@contextmanager
def batched():
    """Inside, index() collects; on a normal exit the collected versions are indexed at once
    (still in the caller's transaction, before its commit). On an error nothing is indexed."""
    pending: list = []
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
    if pending:
        if _index_many is not None:
            _index_many(pending)
        else:
            for version, prepared in pending:
                _index(version, prepared)


def _require() -> None:
    if _prepare is None or _index is None:
        raise RuntimeError("no text indexer registered: create the app with create_app()")


def prepare(path: Path, filename: str) -> Any:
    """Extract what will be indexed (bounded, outside any write)."""
    _require()
    return _prepare(path, filename)


def index(version, prepared: Any) -> None:
    """Store `prepared` as `version`'s indexed text, in the current transaction (inside
    batched(): when the batch ends)."""
    _require()
    pending = _pending.get()
    if pending is not None:
        pending.append((version, prepared))
        return
    _index(version, prepared)


def index_many(pairs: list) -> None:
    """index() for [(new version, prepared)] at once: the indexer's batch path (one multi-row
    insert of the texts) for versions that have no text stored yet."""
    _require()
    pending = _pending.get()
    if pending is not None:
        pending.extend(pairs)
        return
    if not pairs:
        return
    if _index_many is not None:
        _index_many(pairs)
    else:
        for version, prepared in pairs:
            _index(version, prepared)
