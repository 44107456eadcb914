"""Runs settings.exitWhen ended: the run status ``exited`` and its own counter.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # PostgreSQL adds an enum value inside a transaction as long as nothing in it uses the value.
    op.execute("ALTER TYPE workflow_run_status ADD VALUE IF NOT EXISTS 'exited'")
    op.add_column(
        "workflow_run_counters",
        sa.Column("exited", sa.BigInteger(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    # PostgreSQL cannot drop an enum value in place (rebuilding the type means rebuilding the partial indexes
    # over status): the value stays, unused, and exited runs read as completed ones.
    op.execute("UPDATE workflow_runs SET status = 'completed' WHERE status = 'exited'")
    op.drop_column("workflow_run_counters", "exited")
