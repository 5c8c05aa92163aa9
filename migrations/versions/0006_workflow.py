"""sign-off workflows (issue 13)

A project's workflow (table workflows; no row = the default chain 审核 pm → 确认 client), the
chain each version started with (versions.chain, JSON) and the step it waits at (versions.step_*),
and the step key of each sign-off. Existing versions get the default chain and the step their
sign-offs put them at; existing sign-offs get the key of their role's default step.

Revision ID: 0006_workflow
Revises: 0005_jobs
"""
import json

from alembic import op
import sqlalchemy as sa

import core.db

revision = "0006_workflow"
down_revision = "0005_jobs"
branch_labels = None
depends_on = None

# The default chain as deliverables.workflow.DEFAULT_STEPS wrote it when this revision was made.
DEFAULT = [{"key": "review", "name_zh": "审核", "role": "pm", "quorum": "any"},
           {"key": "confirm", "name_zh": "确认", "role": "client", "quorum": "any"}]
STEP_OF_ROLE = {"pm": 0, "client": 1}


def upgrade() -> None:
    op.create_table(
        "workflows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("document_key", sa.String(length=64), nullable=False),
        sa.Column("steps", sa.Text(), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_workflows_project_id_projects"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_workflows_updated_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflows")),
        sa.UniqueConstraint("project_id", "document_key", name=op.f("uq_workflows_project_id")),
    )
    op.create_index(op.f("ix_workflows_project_id"), "workflows", ["project_id"])
    with op.batch_alter_table("versions") as batch:
        batch.add_column(sa.Column("chain", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("step_index", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("step_key", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("step_name", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("step_role", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("step_users", sa.String(length=1000), nullable=True))
        batch.add_column(sa.Column("step_since", core.db.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("step_due_at", core.db.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("client_step_at", core.db.UTCDateTime(timezone=True), nullable=True))
        batch.create_index(batch.f("ix_versions_step_role"), ["step_role"], unique=False)
    with op.batch_alter_table("signoffs") as batch:
        batch.add_column(sa.Column("step", sa.String(length=32), nullable=False, server_default=""))
    _backfill()


def _backfill() -> None:
    """Existing rows: the default chain, sign-off step keys, and the step each latest version waits at."""
    conn = op.get_bind()
    chain = json.dumps(DEFAULT, ensure_ascii=False)
    conn.execute(sa.text("UPDATE versions SET chain = :c"), {"c": chain})
    conn.execute(sa.text("UPDATE signoffs SET step = 'review' WHERE role = 'pm'"))
    conn.execute(sa.text("UPDATE signoffs SET step = 'confirm' WHERE role = 'client'"))
    waiting = conn.execute(sa.text(
        "SELECT v.id, v.created_at FROM versions v JOIN deliverables d ON d.latest_version_id = v.id "
        "WHERE v.signed_off_at IS NULL")).all()
    for version_id, created_at in waiting:
        sos = conn.execute(sa.text("SELECT role, decision, created_at FROM signoffs WHERE version_id = :v "
                                   "ORDER BY id"), {"v": version_id}).all()
        pm_at = next((t for r, d, t in sos if r == "pm" and d == "approve"), None)
        if pm_at is not None:  # past the vendor's step: the client sees it (also when she rejected it)
            conn.execute(sa.text("UPDATE versions SET client_step_at = :t WHERE id = :v"), {"t": pm_at, "v": version_id})
        if any(d == "reject" for _, d, _ in sos):
            continue
        index = 1 if pm_at is not None else 0
        since = max([t for _, d, t in sos if d == "approve"] or [created_at])
        step = DEFAULT[index]
        conn.execute(sa.text("UPDATE versions SET step_index = :i, step_key = :k, step_name = :n, step_role = :r, "
                             "step_since = :s WHERE id = :v"),
                     {"i": index, "k": step["key"], "n": step["name_zh"], "r": step["role"], "s": since,
                      "v": version_id})


def downgrade() -> None:
    with op.batch_alter_table("signoffs") as batch:
        batch.drop_column("step")
    with op.batch_alter_table("versions") as batch:
        batch.drop_index(batch.f("ix_versions_step_role"))
        for name in ("client_step_at", "step_due_at", "step_since", "step_users", "step_role", "step_name", "step_index",
                     "step_key", "chain"):
            batch.drop_column(name)
    op.drop_index(op.f("ix_workflows_project_id"), table_name="workflows")
    op.drop_table("workflows")
