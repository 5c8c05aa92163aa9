"""`flask backup create DIR` and `flask backup restore DIR`."""
from __future__ import annotations

import subprocess
from pathlib import Path

import click
from flask.cli import AppGroup

from backup.create import create_backup
from backup.restore import RestoreRefused, restore_backup

backup_cli = AppGroup("backup", help="Consistent backups of the database and every blob; restore.")


@backup_cli.command("create")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
def backup_create(dest):
    """Back up into the new folder DEST while the server keeps serving; exit 0 only when
    complete and verified."""
    try:
        manifest = create_backup(dest, click.echo)
    except (ValueError, RuntimeError, OSError, subprocess.CalledProcessError) as exc:
        raise click.ClickException(f"backup failed: {_why(exc)}") from exc
    click.echo(f"backup complete: {dest} ({manifest['database']['kind']}, {len(manifest['blobs'])} blobs)")


@backup_cli.command("restore")
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
def backup_restore(src):
    """Restore SRC into an empty data folder and an empty database; refuses (exit 1) to
    overwrite existing data."""
    try:
        restore_backup(src, click.echo)
    except (RestoreRefused, ValueError, OSError, subprocess.CalledProcessError) as exc:
        raise click.ClickException(f"restore refused: {_why(exc)}") from exc
    click.echo(f"restore complete from {src}")


def _why(exc: Exception) -> str:
    if isinstance(exc, subprocess.CalledProcessError):
        return (exc.stderr or b"").decode(errors="replace").strip()[-500:] or str(exc)
    return str(exc)
