"""Cancel many runs at once: a workflow being archived with ``?cancelRuns=true``, or
``POST /api/v1/workflows/{id}/runs/cancel`` with filters.

Each run gets the same command as a single cancel (``workflow.run.cancel_requested`` to
``workflows.events`` through the outbox, keyed by its contact, with the event id derived from the run), so
a run cancelled once alone and once in bulk is cancelled once. Runs are the read model's running runs: a
run started moments ago that the projector has not stored yet is not among them (archiving has already
stopped new runs by then). Rows are read in keyset pages so a large workflow never sits in memory whole.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import WorkflowRun
from api.outbox import records
from streams.engine import event_types
from workflows.settings import Settings

_PAGE: Final = 1000


@dataclass(frozen=True, slots=True)
class RunFilter:
    contact_id: str | None = None
    started_before: datetime | None = None
    current_node_id: str | None = None  # who is where: the runs waiting at this node
    version: int | None = None


def request_cancel(
    session: AsyncSession,
    settings: Settings,
    *,
    tenant_id: str,
    run_id: uuid.UUID,
    contact_id: str,
    reason: str,
) -> str:
    """Queue one run's cancel command; the event id is the one a single cancel of that run uses."""
    event_id = records.derived_event_id(event_types.RUN_CANCEL_REQUESTED, tenant_id, str(run_id))
    records.publish_event(
        session,
        settings,
        event_id=event_id,
        event_type=event_types.RUN_CANCEL_REQUESTED,
        tenant_id=tenant_id,
        contact_id=contact_id,
        data={"runId": str(run_id), "reason": reason},
    )
    return event_id


async def cancel_running(
    session: AsyncSession,
    settings: Settings,
    *,
    tenant_id: str,
    workflow_id: uuid.UUID,
    only: RunFilter,
    reason: str,
    limit: int | None = None,
) -> tuple[int, bool]:
    """Queue a cancel for each running run of the workflow that ``only`` selects, oldest first, at most
    ``limit`` of them. Answers how many, and whether more matched."""
    before = only.started_before
    if before is not None and before.tzinfo is None:
        before = before.replace(tzinfo=UTC)  # timestamptz: a time without an offset is UTC
    count = 0
    after: tuple[datetime, uuid.UUID] | None = None
    while True:
        page = _PAGE if limit is None else min(_PAGE, limit - count + 1)
        rows = await _running_page(
            session,
            tenant_id=tenant_id,
            workflow_id=workflow_id,
            only=RunFilter(only.contact_id, before, only.current_node_id, only.version),
            after=after,
            limit=page,
        )
        for run_id, contact_id, _started in rows:
            if limit is not None and count >= limit:
                return count, True
            request_cancel(
                session, settings, tenant_id=tenant_id, run_id=run_id, contact_id=contact_id, reason=reason
            )
            count += 1
        if len(rows) < page:
            return count, False
        after = (rows[-1][2], rows[-1][0])


async def _running_page(
    session: AsyncSession,
    *,
    tenant_id: str,
    workflow_id: uuid.UUID,
    only: RunFilter,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[tuple[uuid.UUID, str, datetime]]:
    query = select(WorkflowRun.id, WorkflowRun.contact_id, WorkflowRun.started_at).where(
        WorkflowRun.tenant_id == tenant_id,
        WorkflowRun.workflow_id == workflow_id,
        WorkflowRun.status == "running",
    )
    if only.contact_id is not None:
        query = query.where(WorkflowRun.contact_id == only.contact_id)
    if only.started_before is not None:
        query = query.where(WorkflowRun.started_at < only.started_before)
    if only.current_node_id is not None:
        query = query.where(WorkflowRun.current_node_id == only.current_node_id)
    if only.version is not None:
        query = query.where(WorkflowRun.workflow_version == only.version)
    if after is not None:
        query = query.where(tuple_(WorkflowRun.started_at, WorkflowRun.id) > tuple_(*after))
    query = query.order_by(WorkflowRun.started_at, WorkflowRun.id).limit(limit)
    return [(r.id, r.contact_id, r.started_at) for r in (await session.execute(query)).all()]
