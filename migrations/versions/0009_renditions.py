"""renditions and OCR text (issue 14)

Revision ID: 0009_renditions
Revises: 0008_document_control
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

import core.db  # noqa: F401

revision = "0009_renditions"
down_revision = "0008_document_control"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # PLACEHOLDER: filled by the helper that owns this revision


def downgrade() -> None:
    pass  # PLACEHOLDER
