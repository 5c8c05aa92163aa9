"""Command-line interface: `flask --app app <command>`. Registered by create_app."""
from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from backup.cli import backup_cli
from catalog import get_catalog
from core import audit, db
from core.clock import iso
from core.errors import HandoverError, NotFound
from core.migrate import upgrade
from core.roles import ROLES
from core.users import create_user, get_user, reset_token, set_password, update_user
from deliverables.cli import fsck_command
from demo import demo_command
from jobs.cli import jobs_cli, worker_command
from notifications.cli import notifications_cli
from maintenance.cli import sla_cli
from projects.membership import add_member
from projects.models import Project
from renditions.cli import renditions_cli
from search.cli import search_cli
from templates_docs.cli import docs_cli
from imports.cli import import_command

user_cli = AppGroup("user", help="Manage user accounts.")
audit_cli = AppGroup("audit", help="Inspect the audit trail.")


@click.command("init")
@with_appcontext
def init_command():
    """Create or migrate the database and load the catalog; safe to run twice."""
    upgrade(db.engine())
    cat = get_catalog()
    click.echo(f"database ready; catalog: {len(cat.documents)} documents in {len(cat.phases)} phases, "
               f"{len(cat.records)} record types")


@user_cli.command("create")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--project", "projects", multiple=True, help="Project code to give access to (repeatable).")
@click.option("--password", default=None, help="Login password for the web pages (at least 8 characters).")
@click.option("--display-name", default="", help="Full name shown on pages and sign-offs.")
@click.option("--email", default="", help="E-mail address where notifications go.")
def user_create(name, role, projects, password, display_name, email):
    """Create a user; prints the API token as the last line."""
    s = db.session()
    try:
        user, token = create_user(name, role, password=password, display_name=display_name, email=email)
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
    try:
        set_password(get_user(name), password)
        db.session().commit()
    except HandoverError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(1)
    click.echo("password set")


def _update(name: str, **changes) -> None:
    """core.users.update_user from the command line (actor None); exit 1 with the refusal."""
    s = db.session()
    try:
        update_user(get_user(name), None, **changes)
        s.commit()
    except HandoverError as exc:
        s.rollback()
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(1)


@user_cli.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
def user_role(name, role):
    """Give NAME the role ROLE (ends NAME's web sessions); the last active admin keeps his."""
    _update(name, role=role)
    click.echo(f"{name} is now {role}")


@user_cli.command("disable")
@click.argument("name")
def user_disable(name):
    """Disable NAME: web sessions and API tokens stop working at once; the history stays."""
    _update(name, active=False)
    click.echo(f"{name} disabled")


@user_cli.command("enable")
@click.argument("name")
def user_enable(name):
    """Enable NAME again (a new API token comes from `user token NAME`)."""
    _update(name, active=True)
    click.echo(f"{name} enabled")


def _anchor(_ctx, _param, values) -> dict[int, str]:
    anchors = {}
    for value in values:
        seq, _, digest = value.partition(":")
        if not seq.isdigit() or len(digest) != 64:
            raise click.BadParameter(f"'{value}': expected ENTRY:HASH as printed by `audit checkpoint`")
        anchors[int(seq)] = digest.lower()
    return anchors


@audit_cli.command("verify")
@click.option("--anchor", "anchors", multiple=True, callback=_anchor, metavar="ENTRY:HASH",
              help="A head printed earlier by `audit checkpoint` that must still be in the chain (repeatable).")
def audit_verify(anchors):
    """Check the audit chain (keyed hashes, links, head, anchors); exit 1 naming the first bad entry."""
    result = audit.verify(anchors)
    if result.ok:
        click.echo(f"audit trail intact: {result.checked} entries")
        return
    click.echo(f"audit trail BROKEN at entry {result.bad_seq}: {result.reason}", err=True)
    sys.exit(1)


@audit_cli.command("checkpoint")
def audit_checkpoint():
    """Verify the chain, then print its head (entry, hash, time) to keep somewhere else.

    A later `audit verify --anchor ENTRY:HASH` proves the trail up to that entry is unchanged,
    even against someone who holds the audit key."""
    result = audit.verify()
    if not result.ok:
        click.echo(f"audit trail BROKEN at entry {result.bad_seq}: {result.reason}; no checkpoint", err=True)
        sys.exit(1)
    head = audit.checkpoint()
    click.echo(f"entry {head.seq}")
    click.echo(f"hash {head.hash}")
    click.echo(f"time {iso(head.at) if head.at else '-'}")
    click.echo(f"anchor {head.seq}:{head.hash}")


def register(app: Flask) -> None:
    """Every command of every area, on `flask --app app`."""
    for command in (init_command, user_cli, audit_cli, fsck_command, demo_command, docs_cli, search_cli, sla_cli,
                    worker_command, jobs_cli, backup_cli, renditions_cli, notifications_cli, import_command):
        app.cli.add_command(command)
