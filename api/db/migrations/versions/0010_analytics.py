"""Analytics read models, per workflow and version on stable node ids: node figures, edge traffic (with the
branch taken), split variants, goals by the node the run was at, and run counts per quarter hour.

Quarter hours (UTC) are the time-series grain because every IANA zone's offset is a multiple of 15 minutes:
the API groups them into local hours and local days of any zone, DST included, without reading runs.
The tables are filled from the runs and steps already stored (the projector keeps them from then on).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28
"""

# ruff: noqa: S608  (every statement here is built from constants of this module)

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_MESSAGE_TYPES = "('send_email', 'send_sms', 'send_whatsapp', 'send_push')"
# The local hour of a send: the contact's zone when the run carries a known one, else the workflow's.
_SEND_ZONE = "COALESCE(cz.name, wz.name, 'UTC')"
_ZONE_JOINS = (
    "LEFT JOIN zones cz ON cz.name = COALESCE(s.output->>'contactTimezone', r.context->>'timezone', "
    "r.context->'contact'->>'timezone', "
    "r.trigger_event->'data'->'contact'->>'timezone', r.trigger_event->'data'->>'timezone') "
    "LEFT JOIN zones wz ON wz.name = w.settings->>'timezone' "
)
_BRANCH = (
    "CASE a.node_type WHEN 'switch' THEN a.output->>'case' WHEN 'split' THEN a.output->>'variant' "
    "WHEN 'condition' THEN a.output->>'branch' WHEN 'wait_for_event' THEN a.output->>'branch' "
    "WHEN 'run_workflow' THEN a.output->>'branch' END"
)
_QUARTER = "date_bin('15 minutes', {}, TIMESTAMPTZ '2000-01-01 00:00:00+00')"


def _counter(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.BigInteger(), nullable=False, server_default="0")


def _keys(*extra: sa.Column) -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("workflow_id", pg.UUID(as_uuid=True), sa.ForeignKey("workflows.id"), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        *extra,
    ]


def upgrade() -> None:
    op.create_table(
        "workflow_version_node_stats",
        *_keys(sa.Column("node_id", sa.String(100), primary_key=True)),
        *(
            _counter(n)
            for n in ("entered", "completed", "failed", "skipped", "waiting", "sends", "night_sends")
        ),
    )
    op.create_table(
        "workflow_edge_stats",
        *_keys(
            sa.Column("source", sa.String(100), primary_key=True),
            sa.Column("target", sa.String(100), primary_key=True),
            # '' for a plain edge (a primary key column cannot be null).
            sa.Column("branch", sa.String(100), primary_key=True),
        ),
        _counter("runs"),
    )
    op.create_table(
        "workflow_split_stats",
        *_keys(
            sa.Column("node_id", sa.String(100), primary_key=True),
            sa.Column("variant", sa.String(100), primary_key=True),
        ),
        _counter("entered"),
        _counter("converted"),
    )
    op.create_table(
        "workflow_goal_stats",
        *_keys(
            sa.Column("goal_id", sa.String(100), primary_key=True),
            # The node the run was at when the goal ended it ('' when none).
            sa.Column("node_id", sa.String(100), primary_key=True),
        ),
        _counter("reached"),
        sa.Column("last_reached_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "workflow_run_buckets",
        *_keys(sa.Column("bucket", sa.DateTime(timezone=True), primary_key=True)),
        *(_counter(n) for n in ("started", "completed", "goal_reached", "failed", "cancelled", "exited")),
    )
    # Who is where: a node's running runs, newest first, one index range per page.
    op.create_index(
        "idx_workflow_runs_node_started",
        "workflow_runs",
        ["workflow_id", "current_node_id", sa.text("started_at DESC"), sa.text("id DESC")],
        postgresql_where=sa.text("status = 'running'"),
    )
    # Edge traffic pairs a step with the next one of its run.
    op.create_index("idx_run_steps_run_seq", "workflow_run_steps", ["run_id", "seq"])
    for statement in BACKFILL:
        op.execute(statement)


BACKFILL = (
    "INSERT INTO workflow_version_node_stats (workflow_id, version, node_id, entered, completed, failed, "
    "skipped, waiting, sends, night_sends) "
    "WITH zones AS MATERIALIZED (SELECT DISTINCT name FROM pg_timezone_names) "
    "SELECT r.workflow_id, r.workflow_version, s.node_id, count(*), "
    "count(*) FILTER (WHERE s.status = 'completed'), count(*) FILTER (WHERE s.status = 'failed'), "
    "count(*) FILTER (WHERE s.status = 'skipped'), "
    "count(*) FILTER (WHERE s.status IN ('pending', 'running')), "
    f"count(*) FILTER (WHERE s.status = 'completed' AND s.node_type IN {_MESSAGE_TYPES}), "
    f"count(*) FILTER (WHERE s.status = 'completed' AND s.node_type IN {_MESSAGE_TYPES} AND "
    f"extract(hour FROM COALESCE(s.completed_at, s.started_at) AT TIME ZONE {_SEND_ZONE}) "
    "NOT BETWEEN 6 AND 21) "
    "FROM workflow_run_steps s JOIN workflow_runs r ON r.id = s.run_id "
    "JOIN workflows w ON w.id = r.workflow_id "
    f"{_ZONE_JOINS}GROUP BY 1, 2, 3",
    "INSERT INTO workflow_edge_stats (workflow_id, version, source, target, branch, runs) "
    f"SELECT r.workflow_id, r.workflow_version, a.node_id, b.node_id, COALESCE(left({_BRANCH}, 100), ''), "
    "count(*) FROM workflow_run_steps a "
    "JOIN workflow_run_steps b ON b.run_id = a.run_id AND b.seq = a.seq + 1 "
    "JOIN workflow_runs r ON r.id = a.run_id WHERE a.seq >= 1 GROUP BY 1, 2, 3, 4, 5",
    "INSERT INTO workflow_split_stats (workflow_id, version, node_id, variant, entered, converted) "
    "SELECT r.workflow_id, r.workflow_version, a.node_id, left(a.output->>'variant', 100), count(*), "
    "count(*) FILTER (WHERE r.status = 'goal_reached') "
    "FROM workflow_run_steps a JOIN workflow_runs r ON r.id = a.run_id "
    "WHERE a.node_type = 'split' AND a.status = 'completed' AND a.output->>'variant' IS NOT NULL "
    "GROUP BY 1, 2, 3, 4",
    "INSERT INTO workflow_goal_stats (workflow_id, version, goal_id, node_id, reached, last_reached_at) "
    "SELECT workflow_id, workflow_version, goal_reached_id, COALESCE(current_node_id, ''), count(*), "
    "max(completed_at) FROM workflow_runs WHERE status = 'goal_reached' AND goal_reached_id IS NOT NULL "
    "GROUP BY 1, 2, 3, 4",
    "INSERT INTO workflow_run_buckets (workflow_id, version, bucket, started, completed, goal_reached, "
    "failed, cancelled, exited) "
    "SELECT workflow_id, version, bucket, sum(started), sum(completed), sum(goal_reached), sum(failed), "
    "sum(cancelled), sum(exited) FROM ("
    f"SELECT workflow_id, workflow_version AS version, {_QUARTER.format('started_at')} AS bucket, "
    "1 AS started, 0 AS completed, 0 AS goal_reached, 0 AS failed, 0 AS cancelled, 0 AS exited "
    "FROM workflow_runs UNION ALL "
    f"SELECT workflow_id, workflow_version, {_QUARTER.format('completed_at')}, 0, "
    "(status = 'completed')::int, (status = 'goal_reached')::int, (status = 'failed')::int, "
    "(status = 'cancelled')::int, (status = 'exited')::int "
    "FROM workflow_runs WHERE status <> 'running' AND completed_at IS NOT NULL) t GROUP BY 1, 2, 3",
)


def downgrade() -> None:
    op.drop_index("idx_run_steps_run_seq", table_name="workflow_run_steps")
    op.drop_index("idx_workflow_runs_node_started", table_name="workflow_runs")
    for table in (
        "workflow_run_buckets",
        "workflow_goal_stats",
        "workflow_split_stats",
        "workflow_edge_stats",
        "workflow_version_node_stats",
    ):
        op.drop_table(table)
