"""`flask --app app import DIR --project CODE [--map FILE] [--dry-run] [--as USER]`."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from core import db
from core.clock import now
from core.errors import HandoverError
from core.models import User
from imports.matching import Matcher, load_mapping
from imports.run import BATCH_FILES, default_uploader, plan, run
from projects.models import Project


def print_outcome(out, echo) -> None:
    """The lines a person reads after an import: counts, then every file not placed."""
    c = out.as_json()["counts"]
    echo(f"placed {c['placed']}, duplicates skipped {c['duplicates']}, unmatched {c['unmatched']}, "
         f"ignored {c['ignored']}, failed {c['failed']}")
    for rel in out.unmatched:
        echo(f"unmatched: {rel}")
    for f in out.failed:
        echo(f"failed: {f['file']}: {f['reason']}")


@click.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--project", "code", required=True, help="Code of the existing project to import into.")
@click.option("--map", "mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Mapping file (YAML): glob or path → document key, and patterns to ignore.")
@click.option("--dry-run", is_flag=True, help="Print the plan; change nothing.")
@click.option("--as", "username", default=None, help="Uploader (default: the project's first pm).")
@click.option("--batch-size", default=BATCH_FILES, show_default=True, type=click.IntRange(1, 5000),
              help="Versions per transaction (a kill loses at most one batch; a re-run redoes it).")
@with_appcontext
def import_command(directory, code, mapping, dry_run, username, batch_size):
    """Bring a folder tree of a project's documents into its register: matched to catalog
    documents, versions in file-date order, exact duplicates skipped; resumable."""
    s = db.session()
    try:
        project = s.scalar(select(Project).where(Project.code == code))
        if project is None:
            raise HandoverError(f"No project '{code}'.", "not_found")
        user = (s.scalar(select(User).where(User.username == username)) if username
                else default_uploader(project))
        if user is None:
            raise HandoverError(f"No user '{username}'." if username else
                                f"Project '{code}' has no pm: name the uploader with --as.", "not_found")
        rules = load_mapping(mapping.read_text(encoding="utf-8")) if mapping else []
        items = plan(directory, Matcher(rules))
        if dry_run:
            for it in items:
                where = it.key if it.key else ("(ignored)" if it.how == "ignore" else "(unmatched)")
                click.echo(f"{it.when.date().isoformat()}  {where:<32} {it.how:<9} {it.relpath}")
        started, cpu = time.perf_counter(), time.process_time()
        out = run(project, user, items, dry_run=dry_run, echo=None if dry_run else click.echo,
                  batch_files=batch_size)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    except HandoverError as exc:
        s.rollback()
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(1)
    print_outcome(out, click.echo)
    if dry_run:
        click.echo("dry run: nothing was changed")
        return
    click.echo(f"{len(out.placed)} versions in {seconds:.1f} s ({len(out.placed) / max(seconds, 1e-9):.0f}/s; "
               f"{cpu:.1f} s of CPU in this process)")
    folder = Path(current_app.config["HANDOVER_DATA"]) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    report = folder / f"report-{code}-{now().strftime('%Y%m%dT%H%M%S')}.json"
    report.write_text(json.dumps({"project": code, "directory": str(directory), **out.as_json()},
                                 ensure_ascii=False, indent=1), encoding="utf-8")
    click.echo(f"report: {report}")
