"""All SQL of the projector and the stats reconcile job."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from api.db.models import (
    Workflow,
    WorkflowEnrolmentSkip,
    WorkflowNodeCounters,
    WorkflowRun,
    WorkflowRunCounters,
    WorkflowRunStep,
    WorkflowSchedule,
)
from api.projector.plan import ExistingRun

RUN_COLUMNS = (
    "total",
    "running",
    "completed",
    "failed",
    "goal_reached",
    "cancelled",
    "exited",
    "duration_ms_sum",
    "finished",
    "skipped_enrolments",
)
NODE_COLUMNS = ("executed", "succeeded", "failed", "waiting", "skipped")
CHUNK = 1000  # rows per multi-row INSERT: stays far below the 32,767 bind parameters of one statement
RECONCILE_LOCK_KEY = 0x7374617473  # "stats"


def _chunks(rows: Sequence[dict[str, Any]]) -> Iterable[Sequence[dict[str, Any]]]:
    for i in range(0, len(rows), CHUNK):
        yield rows[i : i + CHUNK]


async def workflow_tenants(conn: AsyncConnection, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = await conn.execute(select(Workflow.id, Workflow.tenant_id).where(Workflow.id.in_(ids)))
    return {r.id: r.tenant_id for r in rows}


async def lock_runs(conn: AsyncConnection, ids: set[uuid.UUID]) -> dict[uuid.UUID, ExistingRun]:
    query = (
        select(WorkflowRun.id, WorkflowRun.status, WorkflowRun.last_event_at)
        .where(WorkflowRun.id.in_(ids))
        .with_for_update()
    )
    return {r.id: ExistingRun(r.status, r.last_event_at) for r in await conn.execute(query)}


async def lock_steps(conn: AsyncConnection, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    query = (
        select(WorkflowRunStep.id, WorkflowRunStep.status)
        .where(WorkflowRunStep.id.in_(ids))
        .with_for_update()
    )
    return {r.id: r.status for r in await conn.execute(query)}


_RUN_UPDATES = (
    "status",
    "current_node_id",
    "goal_reached_id",
    "error_message",
    "completed_at",
    "last_event_at",
)
# A record without a context (from a worker that did not emit one) keeps the one the row has.
_KEEP_CONTEXT = text(
    "CASE WHEN excluded.context = '{}'::jsonb THEN workflow_runs.context ELSE excluded.context END"
)
_STEP_UPDATES = ("status", "input", "output", "error_message", "started_at", "completed_at", "scheduled_at")


async def _upsert_by_id(
    conn: AsyncConnection, model: Any, rows: Sequence[dict[str, Any]], updated: Sequence[str]
) -> None:
    """Insert rows, or overwrite `updated` columns of the row with the same id (the plan already decided)."""
    for chunk in _chunks(rows):
        stmt = insert(model).values(list(chunk))
        await conn.execute(
            stmt.on_conflict_do_update(index_elements=["id"], set_={c: stmt.excluded[c] for c in updated})
        )


async def upsert_runs(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    for chunk in _chunks(rows):
        stmt = insert(WorkflowRun).values(list(chunk))
        updates: dict[str, Any] = {c: stmt.excluded[c] for c in _RUN_UPDATES}
        updates["context"] = _KEEP_CONTEXT
        await conn.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=updates))


async def upsert_steps(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    await _upsert_by_id(conn, WorkflowRunStep, rows, _STEP_UPDATES)


async def upsert_schedules(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    for chunk in _chunks(rows):
        stmt = insert(WorkflowSchedule).values(list(chunk))
        # Once processed, a schedule stays processed at its first processing time.
        processed = text("COALESCE(workflow_schedules.processed_at, excluded.processed_at)")
        await conn.execute(
            stmt.on_conflict_do_update(index_elements=["step_id"], set_={"processed_at": processed})
        )


async def close_ended_runs(conn: AsyncConnection, ended: Iterable[uuid.UUID]) -> list[tuple[uuid.UUID, str]]:
    """Steps still waiting (pending or running) when their run ended never finish: mark them skipped, and
    their schedules processed. Returns (run id, node id) of each closed step."""
    if not ended:
        return []
    ids = list(ended)
    closed = await conn.execute(
        text(
            "UPDATE workflow_run_steps s SET status = 'skipped', completed_at = r.completed_at "
            "FROM workflow_runs r WHERE r.id = s.run_id AND s.run_id = ANY(:ids) "
            "AND s.status IN ('pending', 'running') "
            "RETURNING s.run_id, s.node_id"
        ).bindparams(bindparam("ids", value=ids)),
    )
    out = [(r[0], r[1]) for r in closed]
    await conn.execute(
        text(
            "UPDATE workflow_schedules sc SET processed_at = COALESCE(r.completed_at, now()) "
            "FROM workflow_runs r WHERE r.id = sc.run_id AND sc.run_id = ANY(:ids) "
            "AND sc.processed_at IS NULL"
        ).bindparams(bindparam("ids", value=ids)),
    )
    return out


async def insert_enrolment_skips(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> list[uuid.UUID]:
    """Insert the rows whose key is new; returns the workflow id of each row inserted."""
    added: list[uuid.UUID] = []
    for chunk in _chunks(rows):
        stmt = (
            insert(WorkflowEnrolmentSkip).values(list(chunk)).on_conflict_do_nothing(index_elements=["key"])
        )
        added += [r[0] for r in await conn.execute(stmt.returning(WorkflowEnrolmentSkip.workflow_id))]
    return added


async def add_run_counters(conn: AsyncConnection, deltas: Mapping[uuid.UUID, Mapping[str, int]]) -> None:
    rows = [{"workflow_id": wf, **dict(d)} for wf, d in deltas.items() if any(d.values())]
    if not rows:
        return
    columns = RUN_COLUMNS
    rows = [{"workflow_id": r["workflow_id"], **{c: r.get(c, 0) for c in columns}} for r in rows]
    table = WorkflowRunCounters.__table__
    stmt = insert(WorkflowRunCounters).values(rows)
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["workflow_id"], set_={c: table.c[c] + stmt.excluded[c] for c in columns}
        )
    )


async def add_node_counters(
    conn: AsyncConnection, deltas: Mapping[tuple[uuid.UUID, str], Mapping[str, int]]
) -> None:
    columns = NODE_COLUMNS
    rows = [
        {"workflow_id": wf, "node_id": node, **{c: d.get(c, 0) for c in columns}}
        for (wf, node), d in deltas.items()
        if any(d.values())
    ]
    if not rows:
        return
    table = WorkflowNodeCounters.__table__
    for chunk in _chunks(rows):
        stmt = insert(WorkflowNodeCounters).values(list(chunk))
        await conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["workflow_id", "node_id"],
                set_={c: table.c[c] + stmt.excluded[c] for c in columns},
            )
        )


# -- reconcile -------------------------------------------------------------------------------------------
async def try_reconcile_lock(conn: AsyncConnection) -> bool:
    """Session-level: one reconcile at a time across processes, held over its read and write transactions."""
    row = await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": RECONCILE_LOCK_KEY})
    return bool(row.scalar_one())


async def release_reconcile_lock(conn: AsyncConnection) -> None:
    await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": RECONCILE_LOCK_KEY})


async def true_run_counts(conn: AsyncConnection) -> dict[uuid.UUID, dict[str, int]]:
    rows = await conn.execute(
        text(
            "SELECT workflow_id, count(*) AS total, "
            "count(*) FILTER (WHERE status = 'running') AS running, "
            "count(*) FILTER (WHERE status = 'completed') AS completed, "
            "count(*) FILTER (WHERE status = 'failed') AS failed, "
            "count(*) FILTER (WHERE status = 'goal_reached') AS goal_reached, "
            "count(*) FILTER (WHERE status = 'cancelled') AS cancelled, "
            "count(*) FILTER (WHERE status = 'exited') AS exited, "
            "coalesce(sum(round(extract(epoch FROM completed_at - started_at) * 1000)) "
            "  FILTER (WHERE status <> 'running' AND completed_at IS NOT NULL), 0)::bigint "
            "  AS duration_ms_sum, "
            "count(*) FILTER (WHERE status <> 'running' AND completed_at IS NOT NULL) AS finished "
            "FROM workflow_runs GROUP BY workflow_id"
        )
    )
    out = {r.workflow_id: {k: int(v) for k, v in r._mapping.items() if k != "workflow_id"} for r in rows}
    skips = await conn.execute(
        text("SELECT workflow_id, count(*) FROM workflow_enrolment_skips GROUP BY workflow_id")
    )
    for counts in out.values():
        counts["skipped_enrolments"] = 0
    for workflow_id, count in skips:
        # A workflow whose every enrolment was skipped has no run rows: its counts start at zero.
        out.setdefault(workflow_id, dict.fromkeys(RUN_COLUMNS, 0))["skipped_enrolments"] = int(count)
    return out


async def true_node_counts(conn: AsyncConnection) -> dict[tuple[uuid.UUID, str], dict[str, int]]:
    rows = await conn.execute(
        text(
            "SELECT r.workflow_id, s.node_id, count(*) AS executed, "
            "count(*) FILTER (WHERE s.status = 'completed') AS succeeded, "
            "count(*) FILTER (WHERE s.status = 'failed') AS failed, "
            "count(*) FILTER (WHERE s.status IN ('pending', 'running')) AS waiting, "
            "count(*) FILTER (WHERE s.status = 'skipped') AS skipped "
            "FROM workflow_run_steps s JOIN workflow_runs r ON r.id = s.run_id GROUP BY 1, 2"
        )
    )
    return {(r.workflow_id, r.node_id): {c: int(getattr(r, c)) for c in NODE_COLUMNS} for r in rows}


async def cached_run_counts(conn: AsyncConnection) -> dict[uuid.UUID, dict[str, int]]:
    rows = await conn.execute(select(WorkflowRunCounters))
    return {r.workflow_id: {k: int(v) for k, v in r._mapping.items() if k != "workflow_id"} for r in rows}


async def cached_node_counts(conn: AsyncConnection) -> dict[tuple[uuid.UUID, str], dict[str, int]]:
    rows = await conn.execute(select(WorkflowNodeCounters))
    return {(r.workflow_id, r.node_id): {c: int(getattr(r, c)) for c in NODE_COLUMNS} for r in rows}


async def set_cached_stats(conn: AsyncConnection, stats: Mapping[uuid.UUID, dict[str, Any]]) -> None:
    for workflow_id, value in stats.items():
        await conn.execute(update(Workflow).where(Workflow.id == workflow_id).values(stats=value))
