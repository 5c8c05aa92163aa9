"""notification outbox and preferences (issue 13)

Revision ID: 0007_notifications
Revises: 0006_workflow
"""
from alembic import op
import sqlalchemy as sa

import core.db

revision = "0007_notifications"
down_revision = "0006_workflow"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_key", sa.String(length=200), nullable=False),
        sa.Column("recipient", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_try_at", core.db.UTCDateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=False),
        sa.Column("claimed_at", core.db.UTCDateTime(), nullable=True),
        sa.Column("sent_at", core.db.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_outbox")),
        sa.UniqueConstraint("event_key", "recipient", "channel", name=op.f("uq_notification_outbox_event_key")),
    )
    op.create_index(op.f("ix_notification_outbox_project_id"), "notification_outbox", ["project_id"])
    op.create_index(op.f("ix_notification_outbox_status"), "notification_outbox", ["status"])
    op.create_index(op.f("ix_notification_outbox_next_try_at"), "notification_outbox", ["next_try_at"])
    op.create_table(
        "notice_preferences",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_notice_preferences_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", "kind", name=op.f("pk_notice_preferences")),
    )
    op.create_table(
        "project_webhooks",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE",
                                name=op.f("fk_project_webhooks_project_id_projects")),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_project_webhooks")),
    )
    op.create_table(
        "notification_reminders",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("at", core.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_notification_reminders")),
    )


def downgrade() -> None:
    op.drop_table("notification_reminders")
    op.drop_table("project_webhooks")
    op.drop_table("notice_preferences")
    op.drop_table("notification_outbox")
