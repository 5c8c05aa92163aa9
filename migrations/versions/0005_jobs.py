"""job failures: background jobs that failed after their last try (issue 12)

Revision ID: 0005_jobs
Revises: 0004_sessions_audit
"""
from alembic import op
import sqlalchemy as sa

import core.db

revision = "0005_jobs"
down_revision = "0004_sessions_audit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=100), nullable=False),
        sa.Column("args", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("trace", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("failed_at", core.db.UTCDateTime(), nullable=False),
        sa.Column("retried_at", core.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_failures")),
    )
    op.create_index(op.f("ix_job_failures_job"), "job_failures", ["job"])
    op.create_index(op.f("ix_job_failures_failed_at"), "job_failures", ["failed_at"])


def downgrade() -> None:
    op.drop_table("job_failures")
