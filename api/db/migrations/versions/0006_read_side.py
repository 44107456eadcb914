"""The read side of a platform integration: cancelled and skipped counts in the stats, skipped enrolments,
a dead-letter table for ``workflows.out`` records the projector cannot store, and observed event types
(with the position of their reader).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ZERO = sa.text("0")


def upgrade() -> None:
    # Steps a goal or a cancel bypassed (the run ended while it waited there), per node.
    op.add_column(
        "workflow_node_counters", sa.Column("skipped", sa.BigInteger(), nullable=False, server_default=ZERO)
    )
    # Enrolments a re-entry cap refused (workflow.run.enrolment_skipped): no run exists for them.
    op.add_column(
        "workflow_run_counters",
        sa.Column("skipped_enrolments", sa.BigInteger(), nullable=False, server_default=ZERO),
    )
    # One row per refused enrolment, keyed by its idempotency key so a redelivered record counts once.
    # Holds no contact id: the count outlives an erasure without keeping who it was.
    op.create_table(
        "workflow_enrolment_skips",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("workflow_id", pg.UUID(as_uuid=True), sa.ForeignKey("workflows.id"), nullable=False),
        sa.Column("workflow_version", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(100), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("idx_enrolment_skips_workflow", "workflow_enrolment_skips", ["workflow_id"])

    # A record of workflows.out the projector cannot store: kept with its reason, the next records proceed.
    op.create_table(
        "projector_dead_letters",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("topic", sa.String(255), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.LargeBinary(), nullable=True),
        sa.Column("value", sa.LargeBinary(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        # A batch applied again after a crash dead-letters the same record once.
        sa.UniqueConstraint("topic", "partition", "offset", name="uq_projector_dead_letters_position"),
    )

    # Event types the bridge observed per tenant (workflows.observations): what an editor can offer.
    op.create_table(
        "event_type_stats",
        sa.Column("tenant_id", sa.String(), primary_key=True),
        sa.Column("type", sa.String(200), primary_key=True),
        sa.Column("count", sa.BigInteger(), nullable=False, server_default=ZERO),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
    )
    # Where a reader of a topic stands, written in the transaction that applied the records before it:
    # observation counts are deltas, so a record applied twice would count twice.
    op.create_table(
        "projector_offsets",
        sa.Column("topic", sa.String(255), primary_key=True),
        sa.Column("partition", sa.Integer(), primary_key=True),
        sa.Column("next_offset", sa.BigInteger(), nullable=False, server_default=ZERO),
    )


def downgrade() -> None:
    op.drop_table("projector_offsets")
    op.drop_table("event_type_stats")
    op.drop_table("projector_dead_letters")
    op.drop_index("idx_enrolment_skips_workflow", table_name="workflow_enrolment_skips")
    op.drop_table("workflow_enrolment_skips")
    op.drop_column("workflow_run_counters", "skipped_enrolments")
    op.drop_column("workflow_node_counters", "skipped")
