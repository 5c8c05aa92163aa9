"""`flask sla tick`: one SLA tick from the command line (the worker runs it every minute)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from core import db
from core.clock import iso, now
from maintenance.tick import run_tick

sla_cli = AppGroup("sla", help="Service levels: fault escalation and recurring records.")


@sla_cli.command("tick")
def tick_command():
    """Escalate every open fault whose restore deadline passed, create the record
    instances of the current periods, print what changed and commit. A project whose
    work fails is skipped (logged) and named at the end, with exit status 1."""
    report = run_tick()
    db.session().commit()
    for line in report.lines:
        click.echo(line)
    click.echo(f"sla tick at {iso(now())}: {report.escalated} escalation(s), "
               f"{report.created} record instance(s) created")
    if report.failed:
        for code, why in sorted(report.failed.items()):
            click.echo(f"sla tick: project {code} failed ({why})", err=True)
        raise click.ClickException(f"failed for project(s): {', '.join(sorted(report.failed))}")
