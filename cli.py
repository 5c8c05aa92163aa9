"""Command-line interface: `flask --app app <command>`. Registered by create_app."""
from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from flask import Flask
from flask.cli import AppGroup

from core import db

user_cli = AppGroup("user", help="Manage user accounts.")
audit_cli = AppGroup("audit", help="Inspect the audit trail.")


@click.command("init")
@with_appcontext
def init_command():
    """Create or migrate the database and load the catalog; safe to run twice."""
    from core.migrate import upgrade
    from catalog import get_catalog
    upgrade(db.engine())
    cat = get_catalog()
    click.echo(f"database ready; catalog: {len(cat.documents)} documents in {len(cat.phases)} phases, "
               f"{len(cat.records)} record types")


@user_cli.command("create")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["admin", "pm", "engineer", "client"]))
@click.option("--project", "projects", multiple=True, help="Project code to give access to (repeatable).")
@click.option("--password", default=None, help="Login password for the web pages (at least 8 characters).")
@click.option("--display-name", default="", help="Full name shown on pages and sign-offs.")
def user_create(name, role, projects, password, display_name):
    """Create a user; prints the API token as the last line."""
    from core.errors import HandoverError
    from core.users import create_user
    from deliverables.projects import add_member
    from sqlalchemy import select
    from core.errors import NotFound
    from deliverables.models import Project
    s = db.session()
    try:
        user, token = create_user(name, role, password=password, display_name=display_name)
        for code in projects:
            project = s.scalar(select(Project).where(Project.code == code))
            if project is None:
                raise NotFound(f"No project '{code}'.")
            add_member(None, project, user)
        s.commit()
    except HandoverError as exc:
        s.rollback()
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(1)
    click.echo(f"created {role} {name}" + (f" with access to {', '.join(projects)}" if projects else ""))
    click.echo(token)


@user_cli.command("token")
@click.argument("name")
def user_token(name):
    """Issue a new API token for NAME (the old one stops working); prints it last."""
    from core.errors import HandoverError
    from core.users import get_user, reset_token
    try:
        token = reset_token(get_user(name))
        db.session().commit()
    except HandoverError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(1)
    click.echo(token)


@user_cli.command("password")
@click.argument("name")
@click.password_option()
def user_password(name, password):
    """Set NAME's login password."""
    from core.errors import HandoverError
    from core.users import get_user, set_password
    try:
        set_password(get_user(name), password)
        db.session().commit()
    except HandoverError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(1)
    click.echo("password set")


@audit_cli.command("verify")
def audit_verify():
    """Check the audit hash chain; exit 1 naming the first bad entry."""
    from core.audit import verify
    result = verify()
    if result.ok:
        click.echo(f"audit trail intact: {result.checked} entries")
        return
    click.echo(f"audit trail BROKEN at entry {result.bad_seq}: {result.reason}", err=True)
    sys.exit(1)


def register(app: Flask) -> None:
    app.cli.add_command(init_command)
    app.cli.add_command(user_cli)
    app.cli.add_command(audit_cli)
    for module, attr in [("deliverables.cli", "fsck_command"), ("deliverables.demo", "demo_command"),
                         ("templates_docs.cli", "docs_cli"), ("search.cli", "search_cli"),
                         ("maintenance.cli", "sla_cli")]:
        try:
            mod = __import__(module, fromlist=[attr])
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        app.cli.add_command(getattr(mod, attr))
