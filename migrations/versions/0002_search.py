"""full-text search tables

search_texts (both dialects); SQLite: search_fts, an FTS5 contentless table over the
bigram text; PostgreSQL: search_chunks, tsvector chunks with a GIN index.

Revision ID: 0002_search
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002_search"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_texts",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["versions.id"], name=op.f("fk_search_texts_version_id_versions"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("version_id", name=op.f("pk_search_texts")),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("CREATE VIRTUAL TABLE search_fts USING fts5("
                   "name, body, content='', tokenize='unicode61 remove_diacritics 0')")
    elif dialect == "postgresql":
        op.execute("CREATE TABLE search_chunks ("
                   "version_id integer NOT NULL REFERENCES versions(id) ON DELETE CASCADE, "
                   "chunk integer NOT NULL, "
                   "tsv tsvector NOT NULL, "
                   "CONSTRAINT pk_search_chunks PRIMARY KEY (version_id, chunk))")
        op.execute("CREATE INDEX ix_search_chunks_tsv ON search_chunks USING gin (tsv)")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_fts")
    elif dialect == "postgresql":
        op.execute("DROP TABLE IF EXISTS search_chunks")
    op.drop_table("search_texts")
