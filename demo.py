"""`flask demo`: one seeder for every area — a realistic demo project with users of every
role, documents in every state, fault tickets and records (idempotent)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from core import db
from deliverables.demo import DEMO_PASSWORD, USERS, demo_project, seed_documents, seed_users
from maintenance.demo import seed_maintenance_demo
from projects.models import Project


def seed_demo() -> Project:
    """Create the demo projects and their history unless they exist already."""
    users = seed_users()
    project = demo_project()
    if project is not None:
        return project
    project = seed_documents(users)
    seed_maintenance_demo(project, users)
    return project


@click.command("demo")
@with_appcontext
def demo_command():
    """Seed the demo project and users (idempotent) and print the logins."""
    seed_demo()
    db.session().commit()
    click.echo("Demo data ready. Open http://127.0.0.1:5000 and log in with:")
    for username, role, name, org in USERS:
        click.echo(f"  {role:9} {username:12} / {DEMO_PASSWORD}   ({name}, {org})")
