"""Search tables shared by every engine.

search_texts keeps each version's file name and extracted text (NFKC), and whether the
text could be extracted (status, error; migration 0003): snippets are built from it (the
same for every engine) and the SQLite index rows are rebuilt from it.
Engine-specific tables are created by migration 0002 and used through SQL only:
search_fts (SQLite FTS5, contentless, rowid = version id) and search_chunks
(PostgreSQL: version_id, chunk, tsv tsvector with a GIN index).
"""
from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base


class SearchText(Base):
    """status: extracted | not_supported (a type without text) | failed (error: why; e.g.
    a limit of the extraction subprocess was reached). Failed texts are not retried
    automatically; `flask search reindex` retries them."""
    __tablename__ = "search_texts"
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="extracted", server_default="extracted")
    error: Mapped[str] = mapped_column(String(300), default="", server_default="")
