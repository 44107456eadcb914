"""Read-model support: projection ordering, step visits, stats counters, and the indexes the API's
keyset pagination needs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ZERO = sa.text("0")


def _counter(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), nullable=False, server_default=ZERO)


def upgrade() -> None:
    # Engine time (epoch ms) of the last event applied to a run: an older snapshot never overwrites it.
    op.add_column(
        "workflow_runs", sa.Column("last_event_at", sa.BigInteger(), nullable=False, server_default=ZERO)
    )
    # A node can run more than once in a run (loops back through a condition); a step is (run, node, visit).
    op.add_column("workflow_run_steps", sa.Column("visit", sa.Integer(), nullable=False, server_default="1"))

    op.create_table(
        "workflow_run_counters",
        sa.Column("workflow_id", pg.UUID(as_uuid=True), sa.ForeignKey("workflows.id"), primary_key=True),
        *(
            _counter(n)
            for n in (
                "total",
                "running",
                "completed",
                "failed",
                "goal_reached",
                "cancelled",
                "duration_ms_sum",
                "finished",
            )
        ),
    )
    op.create_table(
        "workflow_node_counters",
        sa.Column("workflow_id", pg.UUID(as_uuid=True), sa.ForeignKey("workflows.id"), primary_key=True),
        sa.Column("node_id", sa.String(100), primary_key=True),
        *(_counter(n) for n in ("executed", "succeeded", "failed", "waiting")),
    )

    # Keyset pagination: newest first with the id as tie-breaker, one index range per page.
    op.create_index(
        "idx_workflows_tenant_created",
        "workflows",
        ["tenant_id", sa.text("created_at DESC"), sa.text("id DESC")],
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_index(
        "idx_workflow_runs_workflow_started",
        "workflow_runs",
        ["workflow_id", sa.text("started_at DESC"), sa.text("id DESC")],
    )
    op.create_index(
        "idx_workflow_runs_workflow_status_started",
        "workflow_runs",
        ["workflow_id", "status", sa.text("started_at DESC"), sa.text("id DESC")],
    )
    op.create_index("idx_workflow_schedules_step", "workflow_schedules", ["step_id"], unique=True)
    op.create_index("idx_workflow_schedules_run", "workflow_schedules", ["run_id"])


def downgrade() -> None:
    op.drop_index("idx_workflow_schedules_run", table_name="workflow_schedules")
    op.drop_index("idx_workflow_schedules_step", table_name="workflow_schedules")
    op.drop_index("idx_workflow_runs_workflow_status_started", table_name="workflow_runs")
    op.drop_index("idx_workflow_runs_workflow_started", table_name="workflow_runs")
    op.drop_index("idx_workflows_tenant_created", table_name="workflows")
    op.drop_table("workflow_node_counters")
    op.drop_table("workflow_run_counters")
    op.drop_column("workflow_run_steps", "visit")
    op.drop_column("workflow_runs", "last_event_at")
