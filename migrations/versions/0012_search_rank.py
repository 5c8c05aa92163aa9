"""search ranked from the index (issue 17): the RUM index on search_chunks

PostgreSQL with the `rum` extension available (Debian: postgresql-15-rum): the extension
and a RUM index over search_chunks.tsv (rum_tsvector_ops keeps positions in the index, so
`ORDER BY tsv <=> query LIMIT n` ranks from the index and stops after n chunks; see
search/engines/pg_rum.py), and the GIN index goes: RUM answers every `@@` too (switched off,
HANDOVER_SEARCH_RUM=0, the GIN-path statements run on it), and exactly, phrases included,
where GIN rereads each candidate's tsvector from the table; one text index to keep up on
upload. Without the extension, or without the right to create it (a warning, then nothing),
and on SQLite, nothing changes: the GIN index stays. The downgrade puts GIN back, then drops
RUM and the extension.

Revision ID: 0012_search_rank
Revises: 0011_import
"""
import logging

from alembic import op
import sqlalchemy as sa

revision = "0012_search_rank"
down_revision = "0011_import"
branch_labels = None
depends_on = None

INDEX = "ix_search_chunks_rum"
GIN = "ix_search_chunks_tsv"  # made by 0002_search
log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    if not bind.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'rum'")).first():
        log.warning("rum is not installed on this PostgreSQL server: search ranks without it (GIN)")
        return
    try:
        with bind.begin_nested():  # a savepoint: a refused CREATE EXTENSION leaves the migration going
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS rum"))
    except sa.exc.DBAPIError as e:
        log.warning("CREATE EXTENSION rum refused (%s): search ranks without it (GIN)", e.orig)
        return
    bind.execute(sa.text(f"CREATE INDEX IF NOT EXISTS {INDEX} ON search_chunks USING rum (tsv rum_tsvector_ops)"))
    bind.execute(sa.text(f"DROP INDEX IF EXISTS {GIN}"))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    bind.execute(sa.text(f"CREATE INDEX IF NOT EXISTS {GIN} ON search_chunks USING gin (tsv)"))
    bind.execute(sa.text(f"DROP INDEX IF EXISTS {INDEX}"))
    try:
        with bind.begin_nested():  # kept if something else in this database uses it
            bind.execute(sa.text("DROP EXTENSION IF EXISTS rum"))
    except sa.exc.DBAPIError:
        pass
