"""`flask renditions list|rebuild`: the PDF renditions of stored files; their fsck check."""
from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select

from core import db
from core.clock import iso
from core.models import Blob
from deliverables.models import Version
from renditions import rebuild
from renditions.models import NO_PREVIEW, READY, STATUSES, Rendition

renditions_cli = AppGroup("renditions", help="PDF renditions (preview, controlled copies) of stored files.")


def fsck_check() -> tuple[list[str], int]:
    """For `flask fsck`: counts by status, every file without a preview (warnings) and every
    ready rendition whose PDF has no blob row (an error; the blob's bytes are checked by fsck)."""
    s = db.session()
    counts = dict(s.execute(select(Rendition.status, func.count()).group_by(Rendition.status)).all())
    without = s.scalar(select(func.count(func.distinct(Version.sha256))).where(
        ~select(Rendition.sha256).where(Rendition.sha256 == Version.sha256).exists()))
    lines, errors = [], 0
    for row in s.scalars(select(Rendition).where(Rendition.status == NO_PREVIEW).order_by(Rendition.sha256)):
        lines.append(f"rendition: {row.sha256} no_preview (warning: {row.reason})")
    broken = s.scalars(select(Rendition).where(Rendition.status == READY).where(
        (Rendition.pdf_sha256.is_(None)) | ~select(Blob.sha256).where(Blob.sha256 == Rendition.pdf_sha256).exists()))
    for row in broken:
        lines.append(f"rendition: {row.sha256} ready but its PDF {row.pdf_sha256} is not a stored blob "
                     f"(error: `flask renditions rebuild {row.sha256}`)")
        errors += 1
    lines.append("renditions: " + ", ".join(f"{counts.get(st, 0)} {st}" for st in STATUSES)
                 + f", {without} file(s) not yet seen by the worker's sweep")
    return lines, errors


@renditions_cli.command("list")
@click.option("--status", type=click.Choice(STATUSES), default=None)
@with_appcontext
def list_command(status):
    """One line per rendition: source sha256, status, pages, seconds, reason."""
    q = select(Rendition).order_by(Rendition.requested_at, Rendition.sha256)
    if status:
        q = q.where(Rendition.status == status)
    n = 0
    for row in db.session().scalars(q):
        n += 1
        click.echo(f"{row.sha256} {row.status} pages={row.pages if row.pages is not None else '-'} "
                   f"seconds={row.seconds if row.seconds is not None else '-'} tries={row.attempts} "
                   f"finished={iso(row.finished_at) or '-'} {row.reason}".rstrip())
    click.echo(f"{n} rendition(s)")


@renditions_cli.command("rebuild")
@click.argument("sha256", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Every rendition, also those ready.")
@click.option("--failed", is_flag=True, help="Every no_preview rendition (e.g. after installing fonts or filters).")
@with_appcontext
def rebuild_command(sha256, everything, failed):
    """Make renditions again (the worker does it): given source sha256s, --failed or --all."""
    if not (sha256 or everything or failed):
        raise click.UsageError("give SHA256s, --failed or --all")
    s = db.session()
    if everything:
        shas = None
    elif failed:
        shas = list(s.scalars(select(Rendition.sha256).where(Rendition.status == NO_PREVIEW)))
    else:
        shas = list(sha256)
        unknown = [x for x in shas if s.get(Rendition, x) is None]
        if unknown:
            raise click.ClickException(f"no rendition for {', '.join(unknown)}")
    count = rebuild(shas)
    click.echo(f"{count} rendition(s) queued again")
