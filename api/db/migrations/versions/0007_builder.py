"""What the visual builder reads: the runs waiting at each node now, and who wrote each version.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # GET /workflows/{id}/waiting groups a workflow's running runs by version and current node: a partial
    # index holds only running runs (a small share of all runs), so the count reads the index alone.
    op.create_index(
        "idx_workflow_runs_waiting",
        "workflow_runs",
        ["workflow_id", "workflow_version", "current_node_id"],
        postgresql_where=sa.text("status = 'running'"),
    )
    # The acting user's `sub` as the token gave it (created_by is a uuid derived from it when it is not one).
    op.add_column("workflow_versions", sa.Column("author", sa.String(200), nullable=True))


def downgrade() -> None:
    op.drop_column("workflow_versions", "author")
    op.drop_index("idx_workflow_runs_waiting", table_name="workflow_runs")
