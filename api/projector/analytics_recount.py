"""The analytics read models recounted from ``workflow_runs`` and ``workflow_run_steps`` (the truth the
reconcile job holds them to). Each query returns the table's key columns, then its counters."""

# ruff: noqa: S608  (every statement here is built from constants of this module)

from __future__ import annotations

import uuid
from typing import Any, Final

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from api.projector.analytics_repository import BUCKET_COLUMNS, NODE_COLUMNS, SPLIT_COLUMNS

_MESSAGE_TYPES: Final = "('send_email', 'send_sms', 'send_whatsapp', 'send_push')"
# The same zone order as analytics_plan.contact_zone_name, then the workflow's zone, then UTC.
_ZONE_JOINS: Final = (
    "LEFT JOIN zones cz ON cz.name = COALESCE(s.output->>'contactTimezone', r.context->>'timezone', "
    "r.context->'contact'->>'timezone', "
    "r.trigger_event->'data'->'contact'->>'timezone', r.trigger_event->'data'->>'timezone') "
    "LEFT JOIN zones wz ON wz.name = w.settings->>'timezone' "
)
_SENT: Final = f"s.status = 'completed' AND s.node_type IN {_MESSAGE_TYPES}"
_LOCAL_HOUR: Final = (
    "extract(hour FROM COALESCE(s.completed_at, s.started_at, r.started_at) "
    "AT TIME ZONE COALESCE(cz.name, wz.name, 'UTC'))"
)
_BRANCH: Final = (
    "CASE a.node_type WHEN 'switch' THEN a.output->>'case' WHEN 'split' THEN a.output->>'variant' "
    "WHEN 'condition' THEN a.output->>'branch' WHEN 'wait_for_event' THEN a.output->>'branch' "
    "WHEN 'run_workflow' THEN a.output->>'branch' END"
)
# Where a query names the runs it counts: every run (the recount), or some (an erasure takes them out).
_RUNS: Final = "__RUNS__"
_EVERY_RUN: Final = "TRUE"
_GIVEN_RUNS: Final = "r.id = ANY(:run_ids)"
_QUARTER: Final = "date_bin('15 minutes', {}, TIMESTAMPTZ '2000-01-01 00:00:00+00')"

NODES: Final = (
    "WITH zones AS MATERIALIZED (SELECT DISTINCT name FROM pg_timezone_names) "
    "SELECT r.workflow_id, r.workflow_version AS version, s.node_id, count(*) AS entered, "
    "count(*) FILTER (WHERE s.status = 'completed') AS completed, "
    "count(*) FILTER (WHERE s.status = 'failed') AS failed, "
    "count(*) FILTER (WHERE s.status = 'skipped') AS skipped, "
    "count(*) FILTER (WHERE s.status IN ('pending', 'running')) AS waiting, "
    f"count(*) FILTER (WHERE {_SENT}) AS sends, "
    f"count(*) FILTER (WHERE {_SENT} AND {_LOCAL_HOUR} NOT BETWEEN 6 AND 21) AS night_sends "
    "FROM workflow_run_steps s JOIN workflow_runs r ON r.id = s.run_id "
    "JOIN workflows w ON w.id = r.workflow_id "
    f"{_ZONE_JOINS}WHERE {_RUNS} GROUP BY 1, 2, 3"
)
EDGES: Final = (
    "SELECT r.workflow_id, r.workflow_version AS version, a.node_id AS source, b.node_id AS target, "
    f"COALESCE(left({_BRANCH}, 100), '') AS branch, count(*) AS runs "
    "FROM workflow_run_steps a JOIN workflow_run_steps b ON b.run_id = a.run_id AND b.seq = a.seq + 1 "
    f"JOIN workflow_runs r ON r.id = a.run_id WHERE a.seq >= 1 AND {_RUNS} GROUP BY 1, 2, 3, 4, 5"
)
SPLITS: Final = (
    "SELECT r.workflow_id, r.workflow_version AS version, a.node_id, "
    "left(a.output->>'variant', 100) AS variant, "
    "count(*) AS entered, count(*) FILTER (WHERE r.status = 'goal_reached') AS converted "
    "FROM workflow_run_steps a JOIN workflow_runs r ON r.id = a.run_id "
    "WHERE a.node_type = 'split' AND a.status = 'completed' AND a.output->>'variant' IS NOT NULL "
    f"AND {_RUNS} GROUP BY 1, 2, 3, 4"
)
GOALS: Final = (
    "SELECT workflow_id, workflow_version AS version, goal_reached_id AS goal_id, "
    "COALESCE(current_node_id, '') AS node_id, count(*) AS reached, max(completed_at) AS last_reached_at "
    "FROM workflow_runs r WHERE status = 'goal_reached' AND goal_reached_id IS NOT NULL "
    f"AND completed_at IS NOT NULL AND {_RUNS} GROUP BY 1, 2, 3, 4"
)
BUCKETS: Final = (
    "SELECT workflow_id, version, bucket, sum(started) AS started, sum(completed) AS completed, "
    "sum(goal_reached) AS goal_reached, sum(failed) AS failed, sum(cancelled) AS cancelled, "
    "sum(exited) AS exited FROM ("
    f"SELECT workflow_id, workflow_version AS version, {_QUARTER.format('started_at')} AS bucket, "
    "1 AS started, 0 AS completed, 0 AS goal_reached, 0 AS failed, 0 AS cancelled, 0 AS exited "
    f"FROM workflow_runs r WHERE {_RUNS} UNION ALL "
    f"SELECT workflow_id, workflow_version, {_QUARTER.format('completed_at')}, 0, "
    "(status = 'completed')::int, (status = 'goal_reached')::int, (status = 'failed')::int, "
    "(status = 'cancelled')::int, (status = 'exited')::int "
    f"FROM workflow_runs r WHERE status <> 'running' AND completed_at IS NOT NULL AND {_RUNS}) t "
    "GROUP BY 1, 2, 3"
)

# name: (recount query, table, key columns, counter columns)
MODELS: Final = {
    "nodes": (NODES, "workflow_version_node_stats", ("workflow_id", "version", "node_id"), NODE_COLUMNS),
    "edges": (
        EDGES,
        "workflow_edge_stats",
        ("workflow_id", "version", "source", "target", "branch"),
        ("runs",),
    ),
    "splits": (
        SPLITS,
        "workflow_split_stats",
        ("workflow_id", "version", "node_id", "variant"),
        SPLIT_COLUMNS,
    ),
    "goals": (GOALS, "workflow_goal_stats", ("workflow_id", "version", "goal_id", "node_id"), ("reached",)),
    "buckets": (BUCKETS, "workflow_run_buckets", ("workflow_id", "version", "bucket"), BUCKET_COLUMNS),
}

Counts = dict[tuple[Any, ...], dict[str, int]]


def _counts(rows: Any, keys: tuple[str, ...], columns: tuple[str, ...]) -> Counts:
    return {tuple(r._mapping[k] for k in keys): {c: int(r._mapping[c]) for c in columns} for r in rows}


async def truth(conn: AsyncConnection, name: str) -> Counts:
    query, _table, keys, columns = MODELS[name]
    return _counts(await conn.execute(text(query.replace(_RUNS, _EVERY_RUN))), keys, columns)


async def counts_of_runs(conn: AsyncConnection, name: str, run_ids: list[uuid.UUID]) -> Counts:
    """What these runs (and their steps) count in the read model ``name``: an erasure takes it out."""
    query, _table, keys, columns = MODELS[name]
    rows = await conn.execute(text(query.replace(_RUNS, _GIVEN_RUNS)), {"run_ids": run_ids})
    return _counts(rows, keys, columns)


async def cached(conn: AsyncConnection, name: str) -> Counts:
    _query, table, keys, columns = MODELS[name]
    rows = await conn.execute(text(f"SELECT {', '.join(keys + columns)} FROM {table}"))
    return {tuple(r._mapping[k] for k in keys): {c: int(r._mapping[c]) for c in columns} for r in rows}


async def set_goal_times(conn: AsyncConnection) -> int:
    """Set each goal row's last time to the recounted one (a delta cannot lower a maximum)."""
    result = await conn.execute(
        text(
            f"UPDATE workflow_goal_stats g SET last_reached_at = t.last_reached_at "
            f"FROM ({GOALS.replace(_RUNS, _EVERY_RUN)}) t "
            "WHERE g.workflow_id = t.workflow_id AND g.version = t.version AND g.goal_id = t.goal_id "
            "AND g.node_id = t.node_id AND g.last_reached_at IS DISTINCT FROM t.last_reached_at"
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
