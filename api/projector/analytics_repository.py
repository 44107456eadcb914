"""SQL of the analytics read models on the write side: what the planner needs to look up, the increments,
and the recount the reconcile job compares them with."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Final

from sqlalchemy import bindparam, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from api.db.models import (
    Workflow,
    WorkflowEdgeStats,
    WorkflowGoalStats,
    WorkflowRunBuckets,
    WorkflowSplitStats,
    WorkflowVersionNodeStats,
)
from api.projector.analytics_plan import AnalyticsDeltas, PriorStep, branch_taken

NODE_COLUMNS: Final = ("entered", "completed", "failed", "skipped", "waiting", "sends", "night_sends")
SPLIT_COLUMNS: Final = ("entered", "converted")
BUCKET_COLUMNS: Final = ("started", "completed", "goal_reached", "failed", "cancelled", "exited")
CHUNK: Final = 1000


async def workflow_zones(conn: AsyncConnection, ids: set[uuid.UUID]) -> dict[uuid.UUID, str | None]:
    zone = Workflow.settings["timezone"].astext
    rows = await conn.execute(select(Workflow.id, zone).where(Workflow.id.in_(ids)))
    return {r[0]: r[1] for r in rows}


async def prior_steps(
    conn: AsyncConnection, keys: set[tuple[uuid.UUID, int]]
) -> dict[tuple[uuid.UUID, int], PriorStep]:
    """The stored step at each (run id, seq), read after this batch's steps were written."""
    if not keys:
        return {}
    runs = [k[0] for k in keys]
    seqs = [k[1] for k in keys]
    rows = await conn.execute(
        text(
            "SELECT DISTINCT ON (s.run_id, s.seq) s.run_id, s.seq, s.node_id, s.node_type, s.output "
            "FROM workflow_run_steps s "
            "JOIN unnest(CAST(:runs AS uuid[]), CAST(:seqs AS int[])) AS k(run_id, seq) "
            "ON s.run_id = k.run_id AND s.seq = k.seq ORDER BY s.run_id, s.seq, s.visit DESC"
        ).bindparams(bindparam("runs", value=runs), bindparam("seqs", value=seqs))
    )
    return {(r.run_id, r.seq): PriorStep(r.node_id, branch_taken(r.node_type, r.output or {})) for r in rows}


async def run_splits(
    conn: AsyncConnection, run_ids: set[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[str, str]]]:
    """(split node, variant) of every completed split step of these runs."""
    if not run_ids:
        return {}
    rows = await conn.execute(
        text(
            "SELECT run_id, node_id, left(output->>'variant', 100) AS variant FROM workflow_run_steps "
            "WHERE run_id = ANY(:ids) AND node_type = 'split' AND status = 'completed' "
            "AND output->>'variant' IS NOT NULL"
        ).bindparams(bindparam("ids", value=list(run_ids)))
    )
    out: dict[uuid.UUID, list[tuple[str, str]]] = {}
    for r in rows:
        out.setdefault(r.run_id, []).append((r.node_id, r.variant))
    return out


async def add_counts(
    conn: AsyncConnection,
    model: Any,
    keys: tuple[str, ...],
    columns: Iterable[str],
    rows: list[dict[str, Any]] | Mapping[Any, Mapping[str, int]],
) -> None:
    """Add counters to rows by key (a mapping of key tuple to deltas, or rows with keys and counters)."""
    table = model.__table__
    columns = tuple(columns)
    if isinstance(rows, Mapping):
        rows = _rows(keys, rows, columns)
    for i in range(0, len(rows), CHUNK):
        stmt = insert(model).values(rows[i : i + CHUNK])
        updates: dict[str, Any] = {c: table.c[c] + stmt.excluded[c] for c in columns}
        await conn.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=updates))


def _rows(
    keys: tuple[str, ...], deltas: Mapping[Any, Mapping[str, int]], columns: tuple[str, ...]
) -> list[dict[str, Any]]:
    return [
        {**dict(zip(keys, key, strict=True)), **{c: d.get(c, 0) for c in columns}}
        for key, d in deltas.items()
        if any(d.values())
    ]


async def add_analytics(conn: AsyncConnection, deltas: AnalyticsDeltas) -> None:
    node_keys = ("workflow_id", "version", "node_id")
    await add_counts(
        conn, WorkflowVersionNodeStats, node_keys, NODE_COLUMNS, _rows(node_keys, deltas.nodes, NODE_COLUMNS)
    )
    edge_keys = ("workflow_id", "version", "source", "target", "branch")
    edges = [{**dict(zip(edge_keys, k, strict=True)), "runs": n} for k, n in deltas.edges.items() if n]
    await add_counts(conn, WorkflowEdgeStats, edge_keys, ("runs",), edges)
    split_keys = ("workflow_id", "version", "node_id", "variant")
    await add_counts(
        conn, WorkflowSplitStats, split_keys, SPLIT_COLUMNS, _rows(split_keys, deltas.splits, SPLIT_COLUMNS)
    )
    bucket_keys = ("workflow_id", "version", "bucket")
    buckets = _rows(bucket_keys, deltas.buckets, BUCKET_COLUMNS)
    await add_counts(conn, WorkflowRunBuckets, bucket_keys, BUCKET_COLUMNS, buckets)
    await add_goals(conn, {k: v for k, v in deltas.goals.items() if v[0] or v[1]})


async def add_goals(
    conn: AsyncConnection, goals: Mapping[tuple[Any, ...], tuple[int, datetime | None]]
) -> None:
    goal_keys = ("workflow_id", "version", "goal_id", "node_id")
    rows = [
        {**dict(zip(goal_keys, k, strict=True)), "reached": n, "last_reached_at": last}
        for k, (n, last) in goals.items()
    ]
    if not rows:
        return
    table = WorkflowGoalStats.__table__
    stmt = insert(WorkflowGoalStats)
    latest = text("GREATEST(workflow_goal_stats.last_reached_at, excluded.last_reached_at)")
    for i in range(0, len(rows), CHUNK):
        chunk = stmt.values(rows[i : i + CHUNK])
        await conn.execute(
            chunk.on_conflict_do_update(
                index_elements=list(goal_keys),
                set_={"reached": table.c.reached + chunk.excluded.reached, "last_reached_at": latest},
            )
        )
