"""notification outbox and preferences (issue 13)

Revision ID: 0007_notifications
Revises: 0006_workflow
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

import core.db  # noqa: F401

revision = "0007_notifications"
down_revision = "0006_workflow"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # PLACEHOLDER: filled by the helper that owns this revision


def downgrade() -> None:
    pass  # PLACEHOLDER
