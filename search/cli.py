"""`flask search reindex`: rebuild the search indexes from the stored files."""
from __future__ import annotations

import time

import click
from flask.cli import AppGroup

import search
from core import db

search_cli = AppGroup("search", help="Full-text search index.")


@search_cli.command("reindex")
@click.option("--engine", "which", type=click.Choice(["all", "db", "whoosh", "tantivy"]),
              default="all", help="db: the database's own index (SQLite FTS5 / PostgreSQL); whoosh; tantivy; "
                                  "all (default): db and whoosh, and tantivy when HANDOVER_SEARCH=tantivy.")
def reindex_command(which):
    """Re-extract every version's text from its blob and rebuild the index(es)."""
    engines = {"all": None, "db": [search.engine_name_db()], "whoosh": ["whoosh"], "tantivy": ["tantivy"]}[which]
    started = time.monotonic()
    # Each text is committed once extracted (no extraction under a write lock); then the rebuild.
    count = search.reindex(engines, echo=click.echo, checkpoint=db.session().commit)
    db.session().commit()
    click.echo(f"reindexed {count} versions ({', '.join(engines or search.default_engines())}) "
               f"in {time.monotonic() - started:.1f} s")


@search_cli.command("status")
def status_command():
    """Print the search engine in use and, on PostgreSQL, how it ranks (RUM index or GIN),
    whether common queries are shown newest first (search/common.py) and what the search_merge
    job has still to do (recent chunks to move, chunks of superseded versions to mark past)."""
    engine = search.engine_name()
    line = f"engine: {engine}"
    if engine == "postgresql":
        from search.engines import pg_merge, pg_rum  # PostgreSQL only
        path, why = pg_rum.ranking_path()
        line += f"; ranking: {path} ({why})"
        if path == "rum":
            line += ("; common queries newest first (index " + pg_rum.NEWEST + ")" if pg_rum.newest_index()
                     else "; every query ranked (no newest-first index: migration 0015)")
        line += (f"; chunks waiting for the search_merge job: {pg_merge.pending()}, "
                 f"of superseded versions still to mark past: {pg_merge.unmarked()}")
    click.echo(line)
