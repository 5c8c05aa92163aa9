"""document numbers (issue 15)

Revision ID: 0008_document_control
Revises: 0007_notifications
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

import core.db  # noqa: F401

revision = "0008_document_control"
down_revision = "0007_notifications"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # PLACEHOLDER: filled by the helper that owns this revision


def downgrade() -> None:
    pass  # PLACEHOLDER
