"""The spec's tables (workflows, versions, runs, steps, schedules) and the outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSONB_EMPTY_OBJECT = sa.text("'{}'::jsonb")
JSONB_EMPTY_ARRAY = sa.text("'[]'::jsonb")
NOW = sa.text("now()")


def upgrade() -> None:
    workflow_status = pg.ENUM("draft", "active", "paused", "archived", name="workflow_status")
    run_status = pg.ENUM(
        "running", "completed", "failed", "goal_reached", "cancelled", name="workflow_run_status"
    )
    step_status = pg.ENUM("pending", "running", "completed", "failed", "skipped", name="workflow_step_status")

    op.create_table(
        "workflows",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", workflow_status, nullable=False, server_default="draft"),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("trigger", pg.JSONB(), nullable=False, server_default=JSONB_EMPTY_OBJECT),
        sa.Column("nodes", pg.JSONB(), nullable=False, server_default=JSONB_EMPTY_ARRAY),
        sa.Column("edges", pg.JSONB(), nullable=False, server_default=JSONB_EMPTY_ARRAY),
        sa.Column("goals", pg.JSONB(), nullable=False, server_default=JSONB_EMPTY_ARRAY),
        sa.Column("settings", pg.JSONB(), nullable=False, server_default=JSONB_EMPTY_OBJECT),
        sa.Column("stats", pg.JSONB(), nullable=False, server_default=JSONB_EMPTY_OBJECT),
        sa.Column("webhook_token", sa.String(64), nullable=True, unique=True),
        sa.Column("created_by", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("idx_workflows_tenant_status", "workflows", ["tenant_id", "status"])

    op.create_table(
        "workflow_versions",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("workflow_id", pg.UUID(as_uuid=True), sa.ForeignKey("workflows.id"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("trigger", pg.JSONB(), nullable=False, server_default=JSONB_EMPTY_OBJECT),
        sa.Column("nodes", pg.JSONB(), nullable=False, server_default=JSONB_EMPTY_ARRAY),
        sa.Column("edges", pg.JSONB(), nullable=False, server_default=JSONB_EMPTY_ARRAY),
        sa.Column("goals", pg.JSONB(), nullable=False, server_default=JSONB_EMPTY_ARRAY),
        sa.Column("settings", pg.JSONB(), nullable=False, server_default=JSONB_EMPTY_OBJECT),
        sa.Column("changelog", sa.Text(), nullable=True),
        sa.Column("created_by", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.UniqueConstraint("workflow_id", "version", name="uq_workflow_versions_workflow_version"),
    )

    # Runs and steps are read models fed from Kafka: their ids are derived by the engine,
    # and a contact id is whatever the platform's contacts module uses, so no FK to contacts here.
    op.create_table(
        "workflow_runs",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("workflow_id", pg.UUID(as_uuid=True), sa.ForeignKey("workflows.id"), nullable=False),
        sa.Column("workflow_version", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.String(100), nullable=False),
        sa.Column("status", run_status, nullable=False, server_default="running"),
        sa.Column("current_node_id", sa.String(100), nullable=True),
        sa.Column("trigger_event", pg.JSONB(), nullable=False, server_default=JSONB_EMPTY_OBJECT),
        sa.Column("context", pg.JSONB(), nullable=False, server_default=JSONB_EMPTY_OBJECT),
        sa.Column("goal_reached_id", sa.String(100), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("idx_workflow_runs_workflow_status", "workflow_runs", ["workflow_id", "status"])
    op.create_index("idx_workflow_runs_contact", "workflow_runs", ["contact_id"])
    op.create_index("idx_workflow_runs_started", "workflow_runs", [sa.text("started_at DESC")])

    op.create_table(
        "workflow_run_steps",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("run_id", pg.UUID(as_uuid=True), sa.ForeignKey("workflow_runs.id"), nullable=False),
        sa.Column("node_id", sa.String(100), nullable=False),
        sa.Column("node_type", sa.String(50), nullable=False),
        sa.Column("status", step_status, nullable=False, server_default="pending"),
        sa.Column("input", pg.JSONB(), nullable=False, server_default=JSONB_EMPTY_OBJECT),
        sa.Column("output", pg.JSONB(), nullable=False, server_default=JSONB_EMPTY_OBJECT),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("idx_run_steps_run", "workflow_run_steps", ["run_id"])
    op.create_index(
        "idx_run_steps_scheduled",
        "workflow_run_steps",
        ["status", "scheduled_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )

    op.create_table(
        "workflow_schedules",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("tenant_id", sa.String(), nullable=False),
        sa.Column("workflow_id", pg.UUID(as_uuid=True), sa.ForeignKey("workflows.id"), nullable=False),
        sa.Column("run_id", pg.UUID(as_uuid=True), sa.ForeignKey("workflow_runs.id"), nullable=False),
        sa.Column("step_id", pg.UUID(as_uuid=True), sa.ForeignKey("workflow_run_steps.id"), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "idx_workflow_schedule_due",
        "workflow_schedules",
        ["scheduled_at"],
        postgresql_where=sa.text("processed_at IS NULL"),
    )

    # Transactional outbox: a change and the record announcing it commit together; a relay publishes.
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("topic", sa.String(255), nullable=False),
        sa.Column("key", sa.LargeBinary(), nullable=True),
        sa.Column("value", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("idx_outbox_unsent", "outbox", ["id"], postgresql_where=sa.text("sent_at IS NULL"))


def downgrade() -> None:
    for table in (
        "outbox",
        "workflow_schedules",
        "workflow_run_steps",
        "workflow_runs",
        "workflow_versions",
        "workflows",
    ):
        op.drop_table(table)
    for enum in ("workflow_step_status", "workflow_run_status", "workflow_status"):
        op.execute(f"DROP TYPE IF EXISTS {enum}")
