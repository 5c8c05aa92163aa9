"""`flask search reindex`: rebuild the search indexes from the stored files."""
from __future__ import annotations

import time

import click
from flask.cli import AppGroup

import search
from core import db

search_cli = AppGroup("search", help="Full-text search index.")


@search_cli.command("reindex")
@click.option("--engine", "which", type=click.Choice(["all", "db", "whoosh"]), default="all",
              help="db: the database's own index (SQLite FTS5 / PostgreSQL); whoosh; all (default): both.")
def reindex_command(which):
    """Re-extract every version's text from its blob and rebuild the index(es)."""
    engines = {"all": None, "db": [search.engine_name_db()], "whoosh": ["whoosh"]}[which]
    started = time.monotonic()
    # Each text is committed once extracted (no extraction under a write lock); then the rebuild.
    count = search.reindex(engines, echo=click.echo, checkpoint=db.session().commit)
    db.session().commit()
    click.echo(f"reindexed {count} versions ({', '.join(engines or [search.engine_name_db(), 'whoosh'])}) "
               f"in {time.monotonic() - started:.1f} s")
