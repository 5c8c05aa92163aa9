"""`flask fsck`: check every stored blob against its sha256; orphans are warnings."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from core.blob_check import check_blobs, grace_seconds, repair


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


@click.command("fsck")
@with_appcontext
@click.option("--repair", "do_repair", is_flag=True,
              help="Remove orphans older than the grace period and leftover temp files "
                   "(never touches referenced blobs).")
def fsck_command(do_repair):
    """Check stored files: exit 1 on a missing or corrupt blob; orphans and leftover temp
    files are warnings (exit 0)."""
    report = check_blobs()
    for sha in report.missing:
        click.echo(f"missing: {sha}")
    for sha in report.corrupt:
        click.echo(f"corrupt: {sha}")
    grace = grace_seconds()
    for o in report.orphans:
        kind = "younger than the grace period, maybe an upload in flight" if o.young else "older than the grace period"
        click.echo(f"orphaned: {o.path} (warning: no version refers to it; {_age(o.age_seconds)} old, {kind})")
    for path in report.temp_files:
        click.echo(f"orphaned: {path} (warning: leftover temp file)")
    # Other areas' checks (renditions: each ready rendition's PDF is a stored blob): lines, errors.
    extra_errors = 0
    for check in current_app.extensions.get("handover.fsck_checks", []):
        lines, errors = check()
        for line in lines:
            click.echo(line)
        extra_errors += errors
    orphans = len(report.orphans) + len(report.temp_files)
    if do_repair:
        removed = repair(grace)
        for path in removed:
            click.echo(f"removed orphan: {path}")
        orphans -= len(removed)
    click.echo(f"fsck: {len(report.missing)} missing, {len(report.corrupt)} corrupt, {orphans} orphaned "
               f"(warnings; grace period {_age(grace)})")
    if report.errors or extra_errors:
        sys.exit(1)
