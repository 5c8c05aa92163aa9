"""`flask fsck`: check every stored blob against its sha256."""
from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from core import db
from core.models import Blob
from core.storage import blob_path, blob_root, hash_file


def check_blobs() -> dict[str, list[str]]:
    """{"missing": [...], "corrupt": [...], "orphaned": [paths]} over all stored files."""
    report = {"missing": [], "corrupt": [], "orphaned": []}
    known = set()
    for sha in db.session().scalars(select(Blob.sha256).order_by(Blob.sha256)):
        known.add(sha)
        path = blob_path(sha)
        if not path.exists():
            report["missing"].append(sha)
        elif hash_file(path) != sha:
            report["corrupt"].append(sha)
    root = blob_root()
    if root.exists():
        for path in sorted(root.glob("*/*/*")):
            if path.is_file() and path.name not in known:
                report["orphaned"].append(str(path))
        for path in sorted((root / "tmp").glob("*")) if (root / "tmp").exists() else []:
            report["orphaned"].append(str(path))
    return report


@click.command("fsck")
@with_appcontext
@click.option("--repair", is_flag=True, help="Remove orphaned files (never touches referenced blobs).")
def fsck_command(repair):
    """Check stored files; exit 1 on any missing, corrupt or orphaned file."""
    import os
    report = check_blobs()
    for kind in ("missing", "corrupt", "orphaned"):
        for item in report[kind]:
            click.echo(f"{kind}: {item}")
    if repair:
        for path in report["orphaned"]:
            os.chmod(path, 0o644)
            os.unlink(path)
            click.echo(f"removed orphan: {path}")
        report["orphaned"] = []
    total = sum(len(v) for v in report.values())
    click.echo(f"fsck: {len(report['missing'])} missing, {len(report['corrupt'])} corrupt, "
               f"{len(report['orphaned'])} orphaned")
    if total:
        sys.exit(1)
