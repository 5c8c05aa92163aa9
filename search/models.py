"""Search tables shared by every engine.

search_texts keeps each version's file name and extracted text (NFKC): snippets are
built from it (the same for every engine) and the SQLite index rows are rebuilt from it.
Engine-specific tables are created by migration 0002 and used through SQL only:
search_fts (SQLite FTS5, contentless, rowid = version id) and search_chunks
(PostgreSQL: version_id, chunk, tsv tsvector with a GIN index).
"""
from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base


class SearchText(Base):
    __tablename__ = "search_texts"
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
