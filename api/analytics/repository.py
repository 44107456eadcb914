"""All SQL of the analytics reads. Each query reads one index range (see the bench's plans)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final

from sqlalchemy import ColumnElement, and_, case, exists, func, literal_column, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import (
    WorkflowEdgeStats,
    WorkflowGoalStats,
    WorkflowRun,
    WorkflowRunBuckets,
    WorkflowRunStep,
    WorkflowSplitStats,
    WorkflowVersionNodeStats,
)
from api.projector.analytics_repository import BUCKET_COLUMNS, NODE_COLUMNS

TOP_ERROR_SAMPLE: Final = 500  # the latest failed runs read to name a node's most frequent error


def _version(column: Any, version: int | None) -> ColumnElement[bool]:
    return column == version if version is not None else true()


async def buckets(
    session: AsyncSession,
    *,
    workflow_id: uuid.UUID,
    version: int | None,
    start: datetime,
    end: datetime,
    interval: str,
    zone: str,
) -> dict[datetime, dict[str, int]]:
    """Counts per bucket start (local hour or local day of ``zone``) over [start, end)."""
    b = WorkflowRunBuckets.bucket
    if interval == "day":
        key: Any = func.date_trunc("day", b, zone)
    else:  # the local hour holding the quarter: minus the local minutes
        minutes = func.extract("minute", func.timezone(zone, b))
        key = b - minutes * literal_column("interval '1 minute'")
    query = (
        select(key.label("start"), *(func.sum(getattr(WorkflowRunBuckets, c)) for c in BUCKET_COLUMNS))
        .where(
            WorkflowRunBuckets.workflow_id == workflow_id,
            _version(WorkflowRunBuckets.version, version),
            b >= start,
            b < end,
        )
        .group_by(key)
    )
    return {
        row[0]: dict(zip(BUCKET_COLUMNS, map(int, row[1:]), strict=True))
        for row in await session.execute(query)
    }


async def started_since(
    session: AsyncSession, *, workflow_id: uuid.UUID, version: int | None, since: datetime | None
) -> int:
    query = select(func.coalesce(func.sum(WorkflowRunBuckets.started), 0)).where(
        WorkflowRunBuckets.workflow_id == workflow_id, _version(WorkflowRunBuckets.version, version)
    )
    if since is not None:
        query = query.where(WorkflowRunBuckets.bucket >= since)
    return int((await session.execute(query)).scalar_one())


async def node_figures(
    session: AsyncSession, *, workflow_id: uuid.UUID, version: int | None
) -> dict[str, dict[str, int]]:
    t = WorkflowVersionNodeStats
    query = (
        select(t.node_id, *(func.sum(getattr(t, c)) for c in NODE_COLUMNS))
        .where(t.workflow_id == workflow_id, _version(t.version, version))
        .group_by(t.node_id)
    )
    return {
        row[0]: dict(zip(NODE_COLUMNS, map(int, row[1:]), strict=True))
        for row in await session.execute(query)
    }


async def edge_figures(
    session: AsyncSession, *, workflow_id: uuid.UUID, version: int | None
) -> dict[tuple[str, str, str], int]:
    t = WorkflowEdgeStats
    query = (
        select(t.source, t.target, t.branch, func.sum(t.runs))
        .where(t.workflow_id == workflow_id, _version(t.version, version))
        .group_by(t.source, t.target, t.branch)
    )
    return {(s, tg, b): int(n) for s, tg, b, n in await session.execute(query)}


async def split_figures(
    session: AsyncSession, *, workflow_id: uuid.UUID, version: int | None
) -> dict[tuple[str, str], dict[str, int]]:
    t = WorkflowSplitStats
    query = (
        select(t.node_id, t.variant, func.sum(t.entered), func.sum(t.converted))
        .where(t.workflow_id == workflow_id, _version(t.version, version))
        .group_by(t.node_id, t.variant)
    )
    return {(n, v): {"entered": int(e), "converted": int(c)} for n, v, e, c in await session.execute(query)}


async def goal_figures(
    session: AsyncSession, *, workflow_id: uuid.UUID, version: int | None
) -> dict[tuple[str, str], tuple[int, datetime | None]]:
    t = WorkflowGoalStats
    query = (
        select(t.goal_id, t.node_id, func.sum(t.reached), func.max(t.last_reached_at))
        .where(t.workflow_id == workflow_id, _version(t.version, version))
        .group_by(t.goal_id, t.node_id)
    )
    return {(g, n): (int(c), last) for g, n, c, last in await session.execute(query)}


async def waiting(session: AsyncSession, *, workflow_id: uuid.UUID, version: int | None) -> dict[str, int]:
    """Running runs per current node (idx_workflow_runs_waiting)."""
    query = (
        select(WorkflowRun.current_node_id, func.count())
        .where(
            WorkflowRun.workflow_id == workflow_id,
            WorkflowRun.status == "running",
            WorkflowRun.current_node_id.is_not(None),
            _version(WorkflowRun.workflow_version, version),
        )
        .group_by(WorkflowRun.current_node_id)
    )
    return {str(n): int(c) for n, c in await session.execute(query)}


async def top_error(
    session: AsyncSession, *, workflow_id: uuid.UUID, version: int | None, node_id: str
) -> str | None:
    """The most frequent error of the node's failed steps among the latest failed runs."""
    latest = (
        select(WorkflowRun.id)
        .where(
            WorkflowRun.workflow_id == workflow_id,
            WorkflowRun.status == "failed",
            _version(WorkflowRun.workflow_version, version),
        )
        .order_by(WorkflowRun.started_at.desc(), WorkflowRun.id.desc())
        .limit(TOP_ERROR_SAMPLE)
        .subquery()
    )
    message = func.left(WorkflowRunStep.error_message, 200)
    query = (
        select(message, func.count())
        .join(latest, latest.c.id == WorkflowRunStep.run_id)
        .where(
            WorkflowRunStep.node_id == node_id,
            WorkflowRunStep.status == "failed",
            WorkflowRunStep.error_message.is_not(None),
        )
        .group_by(message)
        .order_by(func.count().desc(), message)
        .limit(1)
    )
    row = (await session.execute(query)).first()
    return str(row[0]) if row else None


def branch_expression() -> ColumnElement[Any]:
    """The branch a step took, from its output (as the projector reads it)."""
    out = WorkflowRunStep.output
    return case(
        (WorkflowRunStep.node_type == "switch", out["case"].astext),
        (WorkflowRunStep.node_type == "split", out["variant"].astext),
        (
            WorkflowRunStep.node_type.in_(("condition", "wait_for_event", "run_workflow")),
            out["branch"].astext,
        ),
        else_=None,
    )


def _filters(
    *, tenant_id: str, workflow_id: uuid.UUID, state: str, version: int | None
) -> list[ColumnElement[bool]]:
    r = WorkflowRun
    out = [r.workflow_id == workflow_id, r.tenant_id == tenant_id, _version(r.workflow_version, version)]
    if state == "waiting":  # idx_workflow_runs_node_started
        out.append(r.status == "running")
    if state == "failed":  # a failed node ends its run as failed: only those runs are read
        out.append(r.status == "failed")
    return out


# What a who-is-where item shows: the run's row without its context and trigger (read no more than that).
_ITEM = (
    WorkflowRun.id,
    WorkflowRun.contact_id,
    WorkflowRun.status,
    WorkflowRun.current_node_id,
    WorkflowRun.workflow_version,
    WorkflowRun.started_at,
)


async def waiting_page(
    session: AsyncSession,
    *,
    tenant_id: str,
    workflow_id: uuid.UUID,
    node_id: str,
    version: int | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Any]:
    """Running runs whose current node it is, newest first (idx_workflow_runs_node_started)."""
    r = WorkflowRun
    query = select(*_ITEM).where(
        *_filters(tenant_id=tenant_id, workflow_id=workflow_id, state="waiting", version=version),
        r.current_node_id == node_id,
    )
    if after is not None:
        query = query.where(tuple_(r.started_at, r.id) < tuple_(*after))
    query = query.order_by(r.started_at.desc(), r.id.desc()).limit(limit)
    return list((await session.execute(query)).all())


async def run_window(
    session: AsyncSession,
    *,
    tenant_id: str,
    workflow_id: uuid.UUID,
    state: str,
    version: int | None,
    after: tuple[datetime, uuid.UUID] | None,
    size: int,
) -> list[tuple[uuid.UUID, datetime]]:
    """The next ``size`` runs in keyset order (idx_workflow_runs_workflow_started, or ..._status_started
    for failed runs): the window whose steps are probed."""
    r = WorkflowRun
    query = select(r.id, r.started_at).where(
        *_filters(tenant_id=tenant_id, workflow_id=workflow_id, state=state, version=version)
    )
    if after is not None:
        query = query.where(tuple_(r.started_at, r.id) < tuple_(*after))
    query = query.order_by(r.started_at.desc(), r.id.desc()).limit(size)
    return [(row.id, row.started_at) for row in await session.execute(query)]


async def visited(
    session: AsyncSession,
    *,
    run_ids: list[uuid.UUID],
    node_id: str,
    state: str,
    branch: str | None,
) -> list[Any]:
    """Of these runs, those with a step at the node that matches the state, newest first (each run's steps
    are read through idx_run_steps_run)."""
    step = [WorkflowRunStep.run_id == WorkflowRun.id, WorkflowRunStep.node_id == node_id]
    if state == "failed":
        step.append(WorkflowRunStep.status == "failed")
    if state == "branch":
        step.append(branch_expression() == branch)
    query = (
        select(*_ITEM)
        .where(WorkflowRun.id.in_(run_ids), exists().where(and_(*step)))
        .order_by(WorkflowRun.started_at.desc(), WorkflowRun.id.desc())
    )
    return list((await session.execute(query)).all())
