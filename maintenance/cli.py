"""`flask sla tick`: escalate overdue faults and materialise recurring records (for cron)."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from core import db
from core.clock import iso, now

sla_cli = AppGroup("sla", help="Service levels: fault escalation and recurring records.")


@sla_cli.command("tick")
def tick_command():
    """Escalate every open fault whose restore deadline passed, create the record
    instances of the current periods, print what changed and commit."""
    from deliverables.models import Project
    from maintenance.faults import open_faults, sync_escalations
    from maintenance.records import materialize
    s = db.session()
    escalated = 0
    for fault in open_faults():
        for step in sync_escalations(fault):
            escalated += 1
            click.echo(f"escalated {fault.project.code}-F{fault.number:03d} (fault {fault.id}) "
                       f"level {step.from_level} -> {step.to_level} at {iso(step.at)}")
    created = 0
    for project in s.scalars(select(Project).where(Project.maintenance_start.is_not(None)).order_by(Project.code)):
        n = materialize(project)
        if n:
            click.echo(f"created {n} record instance(s) for {project.code}")
        created += n
    s.commit()
    click.echo(f"sla tick at {iso(now())}: {escalated} escalation(s), {created} record instance(s) created")
