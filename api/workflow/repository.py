"""All SQL of workflows and their versions. Every query is scoped to a tenant; deleted (archived) workflows
are gone, except where a caller asks for them (their runs and stats stay readable)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Workflow, WorkflowRunCounters, WorkflowVersion


async def get(
    session: AsyncSession,
    *,
    tenant_id: str,
    workflow_id: uuid.UUID,
    for_update: bool = False,
    archived: bool = False,
) -> Workflow | None:
    """``archived``: also a deleted (archived) workflow, whose runs and stats stay readable."""
    query = select(Workflow).where(Workflow.id == workflow_id, Workflow.tenant_id == tenant_id)
    if not archived:
        query = query.where(Workflow.deleted_at.is_(None))
    if for_update:
        # Serialises changes to one workflow: version numbers and status transitions never race.
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def get_by_token_hash(session: AsyncSession, *, token_hash: str) -> Workflow | None:
    query = select(Workflow).where(Workflow.webhook_token_hash == token_hash, Workflow.deleted_at.is_(None))
    return (await session.execute(query)).scalar_one_or_none()


async def page(
    session: AsyncSession,
    *,
    tenant_id: str,
    status: str | None,
    trigger_type: str | None,
    search: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Workflow]:
    query = select(Workflow).where(Workflow.tenant_id == tenant_id, Workflow.deleted_at.is_(None))
    if status is not None:
        query = query.where(Workflow.status == status)
    if trigger_type is not None:
        query = query.where(Workflow.trigger["type"].astext == trigger_type)
    if search:
        escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Workflow.name.ilike(f"%{escaped}%", escape="\\"))
    if after is not None:
        query = query.where(tuple_(Workflow.created_at, Workflow.id) < tuple_(*after))
    query = query.order_by(Workflow.created_at.desc(), Workflow.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())


def add(session: AsyncSession, *rows: Workflow | WorkflowVersion) -> None:
    session.add_all(rows)


async def flush(session: AsyncSession) -> None:
    await session.flush()


async def versions(session: AsyncSession, *, workflow_id: uuid.UUID) -> list[WorkflowVersion]:
    query = (
        select(WorkflowVersion)
        .where(WorkflowVersion.workflow_id == workflow_id)
        .order_by(WorkflowVersion.version.desc())
    )
    return list((await session.execute(query)).scalars())


async def version(session: AsyncSession, *, workflow_id: uuid.UUID, number: int) -> WorkflowVersion | None:
    query = select(WorkflowVersion).where(
        WorkflowVersion.workflow_id == workflow_id, WorkflowVersion.version == number
    )
    return (await session.execute(query)).scalar_one_or_none()


async def latest_version_number(session: AsyncSession, *, workflow_id: uuid.UUID) -> int:
    query = select(func.coalesce(func.max(WorkflowVersion.version), 0)).where(
        WorkflowVersion.workflow_id == workflow_id
    )
    return int((await session.execute(query)).scalar_one())


async def run_counters(
    session: AsyncSession, *, workflow_ids: list[uuid.UUID]
) -> dict[uuid.UUID, WorkflowRunCounters]:
    """The run counters of a page of workflows, in one query (a workflow without runs has none)."""
    if not workflow_ids:
        return {}
    query = select(WorkflowRunCounters).where(WorkflowRunCounters.workflow_id.in_(workflow_ids))
    return {row.workflow_id: row for row in (await session.execute(query)).scalars()}
