"""people: when an API token was last used; a project's start date (issue 16)

projects.start_date: when the project started (项目开始日期), set on the project pages and the API.

api_tokens.last_used_at: the last request made with the token, written at most every
five minutes per token (core.auth.user_for_token); NULL: never used since this revision.
Users' organisation (users.organisation) and the active flag (users.active: disabled
users keep their history) exist since 0001.

Revision ID: 0010_people
Revises: 0009_renditions
"""
from alembic import op
import sqlalchemy as sa

import core.db

revision = "0010_people"
down_revision = "0009_renditions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("last_used_at", core.db.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("start_date", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("start_date")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("last_used_at")
