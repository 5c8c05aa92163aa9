"""text extraction status (issue 11: hostile documents)

search_texts.status: extracted | not_supported | failed, and search_texts.error (the
reason when failed). Rows indexed before this revision were extracted in-process, where a
failure could not be told from an empty text: they become 'extracted', except versions
whose type has no text extraction, which become 'not_supported'. `flask search reindex`
recomputes every status.

Revision ID: 0003_text_extraction
Revises: 0002_search
"""
from alembic import op
import sqlalchemy as sa

revision = "0003_text_extraction"
down_revision = "0002_search"
branch_labels = None
depends_on = None


# The extensions search.extract reads text from, as of this revision.
EXTRACTED_EXT = (".docx", ".docm", ".txt", ".md", ".markdown", ".csv", ".log", ".text", ".rst", ".json", ".yaml",
                 ".yml", ".xml", ".sql", ".html", ".htm", ".xhtml", ".pdf")


def upgrade() -> None:
    op.add_column("search_texts", sa.Column("status", sa.String(length=20), nullable=False,
                                            server_default="extracted"))
    op.add_column("search_texts", sa.Column("error", sa.String(length=300), nullable=False, server_default=""))
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT t.version_id, v.filename FROM search_texts t "
                                "JOIN versions v ON v.id = t.version_id")).all()
    unsupported = [{"id": vid} for vid, filename in rows
                   if not (filename or "").lower().endswith(EXTRACTED_EXT)]
    if unsupported:
        conn.execute(sa.text("UPDATE search_texts SET status = 'not_supported' WHERE version_id = :id"),
                     unsupported)


def downgrade() -> None:
    with op.batch_alter_table("search_texts") as batch:
        batch.drop_column("error")
        batch.drop_column("status")
