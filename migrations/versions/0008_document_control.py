"""document numbers (issue 15)

deliverables.doc_no (unique per project, stable across versions), versions.revision
(V<major>.<minor>, see deliverables.doc_numbers). Existing rows are numbered with the
scheme of catalog.yaml as it is when this revision runs: documents running per phase in
catalog order, records from their period; versions get the label the rule gives them. check_item_lists: a project's own daily check
items (maintenance.check_items). versions.hints: 填写说明 left in a DOCX (NULL for the
versions stored before: not checked).

Revision ID: 0008_document_control
Revises: 0007_notifications
"""
from alembic import op
import sqlalchemy as sa

import core.db

revision = "0008_document_control"
down_revision = "0007_notifications"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Imported here, not at module level: alembic loads every revision file, and only this
    # upgrade needs the catalog and the numbering functions.
    from catalog import get_catalog
    from deliverables.doc_numbers import document_doc_no, record_doc_no, revision_label

    op.add_column("deliverables", sa.Column("doc_no", sa.String(length=64), nullable=True))
    op.add_column("versions", sa.Column("revision", sa.String(length=16), nullable=False, server_default=""))
    op.add_column("versions", sa.Column("hints", sa.Integer(), nullable=True))
    conn = op.get_bind()
    cat = get_catalog()
    phase_order = {p.key: i for i, p in enumerate(cat.phases)}
    doc_order = {d.key: i for i, d in enumerate(cat.documents)}
    rows = conn.execute(sa.text(
        "SELECT d.id, d.kind, d.document_key, d.phase, d.period, d.position, p.code FROM deliverables d "
        "JOIN projects p ON p.id = d.project_id ORDER BY p.id, d.id")).all()
    updates, seqs, used = [], {}, set()
    docs = sorted((r for r in rows if r.kind != "record"),
                  key=lambda r: (r.code, phase_order.get(r.phase, 99), doc_order.get(r.document_key, 999),
                                 r.position, r.id))
    for r in docs:
        seqs[(r.code, r.phase)] = seqs.get((r.code, r.phase), 0) + 1
        updates.append((r, document_doc_no(r.code, r.phase, seqs[(r.code, r.phase)])))
    for r in rows:
        if r.kind == "record":
            updates.append((r, record_doc_no(r.code, r.document_key, r.period)))
    params = []
    for r, number in updates:
        candidate, n = number, 1
        while (r.code, candidate) in used:  # only if the scheme was edited into collisions
            n += 1
            candidate = f"{number}-{n}"[:64]
        used.add((r.code, candidate))
        params.append({"id": r.id, "doc_no": candidate})
    if params:
        conn.execute(sa.text("UPDATE deliverables SET doc_no = :doc_no WHERE id = :id"), params)
    versions = conn.execute(sa.text("SELECT id, deliverable_id, signed_off_at FROM versions "
                                    "ORDER BY deliverable_id, number")).all()
    history: dict[int, list[bool]] = {}
    labels = []
    for v in versions:
        prior = history.setdefault(v.deliverable_id, [])
        labels.append({"id": v.id, "revision": revision_label(prior)})
        prior.append(v.signed_off_at is not None)
    if labels:
        conn.execute(sa.text("UPDATE versions SET revision = :revision WHERE id = :id"), labels)
    op.create_index("uq_deliverables_project_doc_no", "deliverables", ["project_id", "doc_no"], unique=True)
    op.create_table(
        "check_item_lists",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False,
                  unique=True),
        sa.Column("items", sa.Text(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", core.db.UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("check_item_lists")
    op.drop_index("uq_deliverables_project_doc_no", table_name="deliverables")
    with op.batch_alter_table("versions") as batch:
        batch.drop_column("hints")
        batch.drop_column("revision")
    with op.batch_alter_table("deliverables") as batch:
        batch.drop_column("doc_no")
