"""Outbox rows a broker refuses (too large) are marked failed instead of retried, and carry their tenant so
the tenant can see them; sent and failed rows are purged after a retention.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("tenant_id", sa.String(), nullable=True))
    op.add_column("outbox", sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("outbox", sa.Column("error", sa.Text(), nullable=True))
    # The relay's queue: neither sent nor failed. A failed row must leave it, or it blocks every later row.
    op.drop_index("idx_outbox_unsent", table_name="outbox")
    op.create_index(
        "idx_outbox_unsent",
        "outbox",
        ["id"],
        postgresql_where=sa.text("sent_at IS NULL AND failed_at IS NULL"),
    )
    op.create_index(
        "idx_outbox_failed",
        "outbox",
        ["tenant_id", "id"],
        postgresql_where=sa.text("failed_at IS NOT NULL"),
    )
    # The retention purge deletes the oldest sent rows in small batches.
    op.create_index(
        "idx_outbox_sent_at", "outbox", ["sent_at"], postgresql_where=sa.text("sent_at IS NOT NULL")
    )


def downgrade() -> None:
    op.drop_index("idx_outbox_sent_at", table_name="outbox")
    op.drop_index("idx_outbox_failed", table_name="outbox")
    op.drop_index("idx_outbox_unsent", table_name="outbox")
    op.create_index("idx_outbox_unsent", "outbox", ["id"], postgresql_where=sa.text("sent_at IS NULL"))
    op.drop_column("outbox", "error")
    op.drop_column("outbox", "failed_at")
    op.drop_column("outbox", "tenant_id")
