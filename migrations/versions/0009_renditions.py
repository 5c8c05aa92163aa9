"""renditions and OCR text (issue 14)

renditions: one row per source blob (sha256): pending, ready (pdf_sha256, a blob) or
no_preview with the reason. Existing versions get theirs from the worker's sweep.

Revision ID: 0009_renditions
Revises: 0008_document_control
"""
from alembic import op
import sqlalchemy as sa

import core.db

revision = "0009_renditions"
down_revision = "0008_document_control"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "renditions",
        sa.Column("sha256", sa.String(length=64), sa.ForeignKey("blobs.sha256"), primary_key=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), sa.ForeignKey("blobs.sha256"), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("converter", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.Column("requested_at", core.db.UTCDateTime(), nullable=False),
        sa.Column("finished_at", core.db.UTCDateTime(), nullable=True),
    )
    op.create_index("ix_renditions_status", "renditions", ["status"])


def downgrade() -> None:
    op.drop_index("ix_renditions_status", table_name="renditions")
    op.drop_table("renditions")
