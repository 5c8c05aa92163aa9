"""Alembic environment: the URL comes from the caller (core.migrate) or DATABASE_URL."""
from alembic import context

from core.db import make_engine
from schema import metadata

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as conn:
        _run(conn)


def _include_object(obj, name, type_, reflected, compare_to) -> bool:
    # Search index tables are created by raw SQL in 0002_search (FTS5 / tsvector), not models:
    # keep autogenerate from proposing to drop them.
    return not (type_ == "table" and reflected and compare_to is None and name.startswith(("search_fts", "search_chunks")))


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, include_object=_include_object,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
