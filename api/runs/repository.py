"""All SQL of the run read models and their counters (reads; the projector writes them)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import (
    WorkflowNodeCounters,
    WorkflowRun,
    WorkflowRunCounters,
    WorkflowRunStep,
    WorkflowSchedule,
)


async def page(
    session: AsyncSession,
    *,
    tenant_id: str,
    workflow_id: uuid.UUID,
    status: str | None,
    contact_id: str | None,
    started_after: datetime | None,
    started_before: datetime | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[WorkflowRun]:
    query = select(WorkflowRun).where(
        WorkflowRun.workflow_id == workflow_id, WorkflowRun.tenant_id == tenant_id
    )
    if status is not None:
        query = query.where(WorkflowRun.status == status)
    if contact_id is not None:
        query = query.where(WorkflowRun.contact_id == contact_id)
    if started_after is not None:
        query = query.where(WorkflowRun.started_at >= started_after)
    if started_before is not None:
        query = query.where(WorkflowRun.started_at < started_before)
    if after is not None:
        query = query.where(tuple_(WorkflowRun.started_at, WorkflowRun.id) < tuple_(*after))
    query = query.order_by(WorkflowRun.started_at.desc(), WorkflowRun.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())


async def get(
    session: AsyncSession, *, tenant_id: str, workflow_id: uuid.UUID, run_id: uuid.UUID
) -> WorkflowRun | None:
    query = select(WorkflowRun).where(
        WorkflowRun.id == run_id, WorkflowRun.workflow_id == workflow_id, WorkflowRun.tenant_id == tenant_id
    )
    return (await session.execute(query)).scalar_one_or_none()


async def steps(session: AsyncSession, *, run_id: uuid.UUID) -> list[WorkflowRunStep]:
    query = (
        select(WorkflowRunStep)
        .where(WorkflowRunStep.run_id == run_id)
        .order_by(
            WorkflowRunStep.seq,
            WorkflowRunStep.started_at.asc().nulls_last(),
            WorkflowRunStep.visit,
            WorkflowRunStep.id,
        )
    )
    return list((await session.execute(query)).scalars())


async def resumes_at(session: AsyncSession, *, run_id: uuid.UUID) -> datetime | None:
    query = select(func.min(WorkflowSchedule.scheduled_at)).where(
        WorkflowSchedule.run_id == run_id, WorkflowSchedule.processed_at.is_(None)
    )
    value: datetime | None = (await session.execute(query)).scalar_one_or_none()
    return value


async def counters(session: AsyncSession, *, workflow_id: uuid.UUID) -> WorkflowRunCounters | None:
    query = select(WorkflowRunCounters).where(WorkflowRunCounters.workflow_id == workflow_id)
    return (await session.execute(query)).scalar_one_or_none()


async def node_counters(session: AsyncSession, *, workflow_id: uuid.UUID) -> list[WorkflowNodeCounters]:
    query = (
        select(WorkflowNodeCounters)
        .where(WorkflowNodeCounters.workflow_id == workflow_id)
        .order_by(WorkflowNodeCounters.node_id)
    )
    return list((await session.execute(query)).scalars())


async def waiting(
    session: AsyncSession, *, workflow_id: uuid.UUID, version: int | None
) -> list[tuple[int, str, int]]:
    """(version, node id, running runs whose current node it is), read from idx_workflow_runs_waiting."""
    query = (
        select(WorkflowRun.workflow_version, WorkflowRun.current_node_id, func.count())
        .where(
            WorkflowRun.workflow_id == workflow_id,
            WorkflowRun.status == "running",
            WorkflowRun.current_node_id.is_not(None),
        )
        .group_by(WorkflowRun.workflow_version, WorkflowRun.current_node_id)
        .order_by(WorkflowRun.workflow_version.desc(), WorkflowRun.current_node_id)
    )
    if version is not None:
        query = query.where(WorkflowRun.workflow_version == version)
    return [(int(v), str(n), int(c)) for v, n, c in (await session.execute(query)).all()]
