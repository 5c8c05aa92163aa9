"""PostgreSQL search: chunks of superseded versions apart (issue 17)

search_chunks gets a column `past`: true once the chunk's version is no longer current (neither
its deliverable's latest version nor its latest signed-off one; search/engines/pg_current.py
says why that is for good). Where 0012 made the RUM index, it and the newest-first index of
0015 become partial over the current chunks (WHERE NOT past) and their twins cover the past
ones (an all-versions search ranks and walks both parts). The view search_chunks_all gains the
column (a recent chunk is never past): a latest-only search reads it with NOT past; an
all-versions one matches through the new view search_chunks_parts, whose legs are the two parts
(each through its own partial index). The GIN path keeps its one index. Existing chunks are marked here, before the partial indexes are
built (an UPDATE of indexed rows would insert each into a RUM index); later ones by the
search_merge job (pg_merge.mark_past).

Revision ID: 0016_search_past
Revises: 0015_search_newest
"""
from alembic import op
import sqlalchemy as sa

revision = "0016_search_past"
down_revision = "0015_search_newest"
branch_labels = None
depends_on = None

RUM, NEWEST, PAST = "ix_search_chunks_rum", "ix_search_chunks_newest", "ix_search_chunks_past"
PAST_NEWEST = "ix_search_chunks_past_newest"
CURRENT_IDS = ("SELECT latest_version_id FROM deliverables WHERE latest_version_id IS NOT NULL "
               "UNION ALL SELECT latest_signed_version_id FROM deliverables WHERE latest_signed_version_id IS NOT NULL")
NEWEST_DEF = ("USING rum (tsv rum_tsvector_addon_ops, version_id) "
              "WITH (attach = 'version_id', to = 'tsv', order_by_attach = TRUE)")


def _has(bind, index: str) -> bool:
    return bind.execute(sa.text("SELECT 1 FROM pg_indexes WHERE tablename = 'search_chunks' AND indexname = :i"),
                        {"i": index}).first() is not None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    rum, newest = _has(bind, RUM), _has(bind, NEWEST)
    op.execute("DROP VIEW IF EXISTS search_chunks_all")
    op.execute("ALTER TABLE search_chunks ADD COLUMN past boolean NOT NULL DEFAULT false")
    if rum:
        op.execute(f"DROP INDEX IF EXISTS {NEWEST}")
        op.execute(f"DROP INDEX {RUM}")
    # Enough memory for the list of current ids to stay a hashed subplan (4 MB: about 300,000).
    op.execute("SET LOCAL work_mem = '256MB'")
    op.execute(f"UPDATE search_chunks SET past = true WHERE version_id NOT IN ({CURRENT_IDS})")
    if rum:
        op.execute(f"CREATE INDEX {RUM} ON search_chunks USING rum (tsv rum_tsvector_ops) WHERE NOT past")
        op.execute(f"CREATE INDEX {PAST} ON search_chunks USING rum (tsv rum_tsvector_ops) WHERE past")
        if newest:
            op.execute(f"CREATE INDEX {NEWEST} ON search_chunks {NEWEST_DEF} WHERE NOT past AND version_id > 0")
            op.execute(f"CREATE INDEX {PAST_NEWEST} ON search_chunks {NEWEST_DEF} WHERE past AND version_id > 0")
    op.execute("CREATE VIEW search_chunks_all AS SELECT version_id, chunk, tsv, past FROM search_chunks "
               "UNION ALL SELECT version_id, chunk, tsv, false AS past FROM search_chunks_recent")
    op.execute("CREATE VIEW search_chunks_parts AS SELECT version_id, chunk, tsv FROM search_chunks WHERE NOT past "
               "UNION ALL SELECT version_id, chunk, tsv FROM search_chunks WHERE past "
               "UNION ALL SELECT version_id, chunk, tsv FROM search_chunks_recent")
    op.execute("ANALYZE search_chunks")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    rum, newest = _has(bind, RUM), _has(bind, NEWEST)
    op.execute("DROP VIEW IF EXISTS search_chunks_all")
    op.execute("DROP VIEW IF EXISTS search_chunks_parts")
    if rum:
        op.execute(f"DROP INDEX IF EXISTS {NEWEST}")
        op.execute(f"DROP INDEX IF EXISTS {PAST_NEWEST}")
        op.execute(f"DROP INDEX IF EXISTS {PAST}")
        op.execute(f"DROP INDEX {RUM}")
    op.execute("ALTER TABLE search_chunks DROP COLUMN past")
    if rum:
        op.execute(f"CREATE INDEX {RUM} ON search_chunks USING rum (tsv rum_tsvector_ops)")
        if newest:
            op.execute(f"CREATE INDEX {NEWEST} ON search_chunks {NEWEST_DEF} WHERE version_id > 0")
    op.execute("CREATE VIEW search_chunks_all AS SELECT version_id, chunk, tsv FROM search_chunks "
               "UNION ALL SELECT version_id, chunk, tsv FROM search_chunks_recent")
