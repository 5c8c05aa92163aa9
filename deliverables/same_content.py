"""Is an upload the same file as an earlier version of the same deliverable?

Uploading the same bytes again would make a new version and restart its sign-off for
nothing, so the upload page asks first (409 `same_content` naming the earlier version, then
`same_ok=1` to go ahead) and the API says so in its answer (`same_content_as`).
"""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import select

from core import db
from deliverables.models import Deliverable, Version


def earlier_version_with_bytes(d: Deliverable, sha256: str) -> Version | None:
    """The newest version of `d` whose stored bytes are `sha256`, or None."""
    return earlier_versions_with_bytes([(d.id, sha256)]).get((d.id, sha256))


def earlier_versions_with_bytes(pairs: Iterable[tuple[int, str]]) -> dict[tuple[int, str], Version]:
    """For several (deliverable id, sha256) pairs, in one query: {pair: the newest version of
    that deliverable with those bytes}; pairs without one are absent."""
    wanted = set(pairs)
    if not wanted:
        return {}
    out: dict[tuple[int, str], Version] = {}
    for v in db.session().scalars(
            select(Version).where(Version.deliverable_id.in_(sorted({d for d, _ in wanted})),
                                  Version.sha256.in_(sorted({sha for _, sha in wanted})))
            .order_by(Version.number)):
        if (v.deliverable_id, v.sha256) in wanted:
            out[(v.deliverable_id, v.sha256)] = v  # numbers ascending: the newest stays
    return out
