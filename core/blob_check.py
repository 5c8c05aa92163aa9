"""Checking stored files against the database (`flask fsck`) and cleaning up after crashes.

Errors: a blob row whose file is missing or whose bytes no longer hash to its sha256.
Warnings: orphans, i.e. files in the blob folder without a row. An upload finalises its
blob before its transaction commits, so a crash (or a failed transaction) leaves an
orphan; so does an upload in flight. Orphans younger than the grace period may still be
about to be referenced and are never removed; older ones and leftover temp files are
removed by repair() (`fsck --repair`, or a periodic job).
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from core import db
from core.models import Blob
from core.storage import _unlink, blob_path, blob_root, hash_file, leftover_temp_files


@dataclass(frozen=True)
class Orphan:
    path: Path
    age_seconds: float
    young: bool  # younger than the grace period: possibly an upload in flight


@dataclass
class Report:
    missing: list[str] = field(default_factory=list)
    corrupt: list[str] = field(default_factory=list)
    orphans: list[Orphan] = field(default_factory=list)
    temp_files: list[Path] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return len(self.missing) + len(self.corrupt)


def grace_seconds() -> float:
    return float(current_app.config["HANDOVER_ORPHAN_GRACE_MINUTES"]) * 60


def _age(path: Path, now: float) -> float | None:
    try:
        return max(0.0, now - path.stat().st_mtime)
    except FileNotFoundError:
        return None


def find_orphans(known: set[str] | None = None, grace: float | None = None) -> list[Orphan]:
    """Files in the blob folder that no Blob row references, oldest first."""
    if known is None:
        known = set(db.session().scalars(select(Blob.sha256)))
    grace = grace_seconds() if grace is None else grace
    now = time.time()
    out = []
    root = blob_root()
    for path in sorted(root.glob("*/*/*")) if root.exists() else []:
        if path.parent.parent.name == "tmp" or not path.is_file() or path.name in known:
            continue
        age = _age(path, now)
        if age is not None:
            out.append(Orphan(path, age, age < grace))
    return sorted(out, key=lambda o: -o.age_seconds)


def check_blobs(grace: float | None = None) -> Report:
    """Hash every referenced blob; list orphans and leftover temp files."""
    report = Report()
    known = set()
    for sha in db.session().scalars(select(Blob.sha256).order_by(Blob.sha256)):
        known.add(sha)
        path = blob_path(sha)
        if not path.exists():
            report.missing.append(sha)
        elif hash_file(path) != sha:
            report.corrupt.append(sha)
    report.orphans = find_orphans(known, grace)
    report.temp_files = leftover_temp_files()
    return report


def repair(grace: float | None = None) -> list[Path]:
    """Remove orphans older than the grace period and leftover temp files; returns the
    removed paths. Safe to run while the app serves: referenced blobs, young orphans and
    temp files a live upload holds are never touched."""
    grace = grace_seconds() if grace is None else grace
    removed = []
    for orphan in find_orphans(grace=grace):
        if orphan.young:
            continue
        # Re-read the age: an upload of the same bytes refreshes the mtime (finalise_blob).
        age = _age(orphan.path, time.time())
        if age is None or age < grace or _referenced(orphan.path.name):
            continue
        os.chmod(orphan.path, 0o644)
        _unlink(orphan.path)
        removed.append(orphan.path)
    for path in leftover_temp_files():
        _unlink(path)
        removed.append(path)
    return removed


def _referenced(sha: str) -> bool:
    return db.session().scalar(select(Blob.sha256).where(Blob.sha256 == sha)) is not None
