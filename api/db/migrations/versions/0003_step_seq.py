"""Steps keep their position in the run's path (steps of one event share a timestamp).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("workflow_run_steps", sa.Column("seq", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    op.drop_column("workflow_run_steps", "seq")
