"""`flask backup create DIR`: a consistent, verified backup while the server serves and writes."""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
from datetime import timezone
from pathlib import Path
from typing import Callable

from flask import current_app
from sqlalchemy import text

from backup import manifest as mf
from core import db
from core.clock import now
from core.storage import blob_path

KEY_FILES = ("secret_key", "audit_key")  # what the data needs besides rows and blobs


def libpq_url(url: str) -> str:
    """pg_dump / pg_restore take a libpq URL, without SQLAlchemy's driver suffix."""
    scheme, rest = url.split("://", 1)
    return "postgresql://" + rest if scheme.startswith("postgresql") else url


def sqlite_path(url: str) -> Path:
    return Path(url.split("sqlite:///", 1)[1])


def copy_sqlite(source: Path, target: Path) -> None:
    """SQLite's online backup API: one consistent copy while writers go on (WAL)."""
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _snapshot_sqlite(url: str, target: Path) -> None:
    copy_sqlite(sqlite_path(url), target)


def _snapshot_postgresql(url: str, target: Path) -> None:
    """pg_dump runs in one repeatable-read transaction: a consistent snapshot."""
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(target),
                    libpq_url(url)], check=True, capture_output=True, timeout=3600)


def _copy_blob(sha256: str, size: int, root: Path) -> dict:
    """Copy one blob, checking that what was copied is what its name promises."""
    target = root / mf.blob_relpath(sha256)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(blob_path(sha256), target)
    got, got_size = mf.sha256_of(target)
    if got != sha256:
        raise RuntimeError(f"blob {sha256} is corrupt in the data folder (reads as {got}); run `flask fsck`")
    return {"sha256": sha256, "size": got_size}


def create_backup(dest: Path, echo: Callable[[str], None] = lambda line: None) -> dict:
    """Write a backup into the new (or empty) folder `dest`; return its manifest once verified."""
    if dest.exists() and any(dest.iterdir()):
        raise ValueError(f"{dest} exists and is not empty; a backup goes into a new folder")
    dest.mkdir(parents=True, exist_ok=True)
    url = current_app.config["DATABASE_URL"]
    kind = "postgresql" if url.startswith("postgresql") else "sqlite"
    started = now()
    db_file = dest / ("database.pgdump" if kind == "postgresql" else "database.sqlite")
    (_snapshot_postgresql if kind == "postgresql" else _snapshot_sqlite)(url, db_file)
    echo(f"database snapshot: {db_file.name}")
    # After the snapshot: the blobs the live database names now are a superset of those the
    # snapshot names (rows that name blobs are never deleted; blobs are written before them).
    s = db.session()
    revision = s.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    blobs = [_copy_blob(sha, size, dest) for sha, size in
             s.execute(text("SELECT sha256, size FROM blobs ORDER BY sha256"))]
    s.rollback()
    echo(f"blobs copied: {len(blobs)}")
    files = []
    for name in (db_file.name,) + tuple(k for k in KEY_FILES
                                        if (Path(current_app.config["HANDOVER_DATA"]) / k).is_file()):
        if name in KEY_FILES:
            shutil.copyfile(Path(current_app.config["HANDOVER_DATA"]) / name, dest / name)
            (dest / name).chmod(0o600)
        sha, size = mf.sha256_of(dest / name)
        files.append({"path": name, "sha256": sha, "size": size})
    manifest = {"format": mf.FORMAT, "created_at": started.astimezone(timezone.utc).isoformat(),
                "database": {"kind": kind, "file": db_file.name, "revision": revision},
                "files": files, "blobs": blobs}
    mf.fsync_tree(dest)
    check = mf.verify(dest, manifest)
    if not check.ok:
        raise RuntimeError("backup failed verification: " + "; ".join(check.problems[:5]))
    mf.write(dest, manifest)
    mf.fsync_tree(dest)
    echo(f"verified {check.checked} files")
    return manifest
