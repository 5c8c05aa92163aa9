"""`flask demo`: one seeder for every area — a realistic demo project with users of every
role, documents in every state, fault tickets and records (idempotent)."""
from __future__ import annotations

import os

import click
from flask import current_app
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
    # No worker runs yet while `make run` seeds: the demo's drafts keep the 目录 for Word to
    # fill rather than waiting for a LibreOffice answer that cannot come (renditions.toc).
    current_app.config["HANDOVER_TOC_WAIT"] = 0
    seed_demo()
    db.session().commit()
    bind = os.environ.get("HANDOVER_BIND") or "127.0.0.1:5000"
    click.echo(f"Demo data ready. Open http://{bind} and log in with:")
    for username, role, name, org in USERS:
        click.echo(f"  {role:9} {username:12} / {DEMO_PASSWORD}   ({name}, {org})")
