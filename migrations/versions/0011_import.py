"""bulk import (issue 17)

import_runs: one row per ZIP uploaded on the import page (queued, running, done, failed),
with its progress and result. Versions imported keep the original file's name and dates in
their note; no column changes.

Revision ID: 0011_import
Revises: 0010_people
"""
from alembic import op
import sqlalchemy as sa

import core.db

revision = "0011_import"
down_revision = "0010_people"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", core.db.UTCDateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_import_runs_project_id", "import_runs", ["project_id"])
    op.create_index("ix_import_runs_status", "import_runs", ["status"])


def downgrade() -> None:
    op.drop_index("ix_import_runs_status", table_name="import_runs")
    op.drop_index("ix_import_runs_project_id", table_name="import_runs")
    op.drop_table("import_runs")
