"""PostgreSQL search: new chunks land in a small table first (issue 17, import rate)

Inserting into the RUM index of search_chunks costs about twelve times what a GIN insert
with its pending list costs (measured on the same 3,200 chunks: 41.8 s against 3.5 s), so a
bulk import that wrote there ran at 40-70 versions/s. New chunks now go to
search_chunks_recent (same columns, a GIN index): searchable at once, cheap to insert. The
worker's search_merge job moves them into search_chunks in batches (search/engines/
pg_merge.py); until then every query reads both tables through the view search_chunks_all
(UNION ALL: the planner merges the RUM index's ranked scan of the large table with the few
recent rows, ranked by the same distance). SQLite: nothing changes.

The downgrade moves every recent chunk back into search_chunks first, so nothing is lost.

Revision ID: 0014_search_storage
Revises: 0013_latest_version_index
"""
from alembic import op

revision = "0014_search_storage"
down_revision = "0013_latest_version_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE TABLE search_chunks_recent ("
               "version_id integer NOT NULL REFERENCES versions(id) ON DELETE CASCADE, "
               "chunk integer NOT NULL, "
               "tsv tsvector NOT NULL, "
               "CONSTRAINT pk_search_chunks_recent PRIMARY KEY (version_id, chunk))")
    # GIN's pending list (fastupdate, on by default) is what makes these inserts cheap.
    op.execute("CREATE INDEX ix_search_chunks_recent_tsv ON search_chunks_recent USING gin (tsv)")
    op.execute("CREATE VIEW search_chunks_all AS "
               "SELECT version_id, chunk, tsv FROM search_chunks "
               "UNION ALL SELECT version_id, chunk, tsv FROM search_chunks_recent")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("INSERT INTO search_chunks (version_id, chunk, tsv) "
               "SELECT version_id, chunk, tsv FROM search_chunks_recent ON CONFLICT DO NOTHING")
    op.execute("DROP VIEW IF EXISTS search_chunks_all")
    op.execute("DROP TABLE IF EXISTS search_chunks_recent")
