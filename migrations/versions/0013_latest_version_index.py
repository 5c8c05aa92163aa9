"""index for the latest-version join (issue 17): deliverables(latest_version_id)

Search (search.scope.join_matches) joins each matched version to the deliverable whose
latest it is, `deliverables.latest_version_id = <matched id>`: without an index that join
would read the version row first, then its deliverable. Plain B-tree index, the same on
SQLite and PostgreSQL; the downgrade drops it.

Revision ID: 0013_latest_version_index
Revises: 0012_search_rank
"""
from alembic import op

revision = "0013_latest_version_index"
down_revision = "0012_search_rank"
branch_labels = None
depends_on = None

INDEX = "ix_deliverables_latest_version_id"  # the name the model's index=True gives it


def upgrade() -> None:
    op.create_index(INDEX, "deliverables", ["latest_version_id"], unique=False)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="deliverables")
