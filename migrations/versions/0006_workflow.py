"""sign-off workflows (issue 13)

Revision ID: 0006_workflow
Revises: 0005_jobs
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

import core.db  # noqa: F401

revision = "0006_workflow"
down_revision = "0005_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # PLACEHOLDER: filled by the helper that owns this revision


def downgrade() -> None:
    pass  # PLACEHOLDER
