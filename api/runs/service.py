"""Run history, detail and stats, and the run commands the API sends to the workers.

Commands (manual trigger, cancel) are envelopes for ``workflows.events`` written to the outbox in the
request's transaction, keyed by contactId so they are applied in order with the contact's other events.
Their event ids are derived: a retried cancel, or a trigger retried with the same ``Idempotency-Key``,
carries the same event id, and the worker's per-contact event-id dedupe (and the run id derived from it)
makes the retry harmless. A trigger without the header gets a fresh uuid4 event id: each call starts a run.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.db.models import WorkflowNodeCounters, WorkflowRun, WorkflowRunCounters
from api.errors import ConflictError, NotFoundError
from api.kit.cursor import decode_cursor, encode_cursor
from api.outbox import records
from api.runs import repository
from api.runs.waiting import waiting_for
from api.workflow import service as workflows
from streams.engine import event_types, run_id_for
from workflows.settings import Settings


def _aware(value: datetime | None) -> datetime | None:
    # A timestamp without an offset means UTC (the column is timestamptz).
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


async def list_page(
    session: AsyncSession,
    *,
    principal: Principal,
    workflow_id: uuid.UUID,
    status: str | None,
    contact_id: str | None,
    started_after: datetime | None,
    started_before: datetime | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[WorkflowRun], str | None]:
    workflow = await workflows.get(session, principal=principal, workflow_id=workflow_id)
    rows = await repository.page(
        session,
        tenant_id=principal.tenant_id,
        workflow_id=workflow.id,
        status=status,
        contact_id=contact_id,
        started_after=_aware(started_after),
        started_before=_aware(started_before),
        after=decode_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1].started_at, rows[-1].id) if more else None


async def _run(
    session: AsyncSession, *, principal: Principal, workflow_id: uuid.UUID, run_id: uuid.UUID
) -> WorkflowRun:
    workflow = await workflows.get(session, principal=principal, workflow_id=workflow_id)
    run = await repository.get(session, tenant_id=principal.tenant_id, workflow_id=workflow.id, run_id=run_id)
    if run is None:
        raise NotFoundError(f"run {run_id} of workflow {workflow_id} not found")
    return run


async def detail(
    session: AsyncSession, *, principal: Principal, workflow_id: uuid.UUID, run_id: uuid.UUID
) -> dict[str, Any]:
    run = await _run(session, principal=principal, workflow_id=workflow_id, run_id=run_id)
    steps = await repository.steps(session, run_id=run.id)
    resumes = await repository.resumes_at(session, run_id=run.id)
    waits = waiting_for(run.status, run.current_node_id, steps)
    return {"run": run, "steps": steps, "resumes_at": resumes, "waiting_for": waits}


def stats_view(
    workflow_id: uuid.UUID, counters: WorkflowRunCounters | None, nodes: list[WorkflowNodeCounters]
) -> dict[str, Any]:
    """The spec's stats shape, in the spec's meaning (its example: 14,500 completed of which 2,000 reached
    the goal, conversion 13.79 %).

    * ``completedRuns``: runs that reached the end of their path, goal-reached runs included (a goal is a
      successful end); ``goalReachedRuns`` is a subset of it.
    * ``conversionRate``: goalReachedRuns / completedRuns x 100, two decimals; 0 while nothing completed.
    * ``cancelledRuns``: runs an operator (or an erasure) cancelled; not completed.
    * ``exitedRuns``: runs ``settings.exitWhen`` ended (an unsubscribe, say); neither completed nor a goal,
      so they lower no conversion rate and raise none.
    * ``skippedEnrolments``: enrolments a re-entry cap refused (``workflow.run.enrolment_skipped``).
    * per node, ``skipped``: visits of the node that were waiting (a delay, a wait until, an HTTP call in
      flight) when the run ended elsewhere (a goal, a cancel, the stale-run detector): the node's work never
      happened. Nodes the run never reached are not counted anywhere: with branches, which nodes a run
      "would have" reached is not defined.
    * ``avgDuration``: mean seconds from start to end over finished runs."""
    total = running = completed = failed = goal = cancelled = exited = duration = finished = skipped = 0
    if counters is not None:
        total, running, completed = counters.total, counters.running, counters.completed
        failed, goal, cancelled = counters.failed, counters.goal_reached, counters.cancelled
        duration, finished = counters.duration_ms_sum, counters.finished
        skipped = counters.skipped_enrolments
        exited = counters.exited
    completed += goal  # the counters keep the run status; completed in the spec's meaning includes goals
    return {
        "workflow_id": workflow_id,
        "total_runs": total,
        "running_runs": running,
        "completed_runs": completed,
        "failed_runs": failed,
        "goal_reached_runs": goal,
        "cancelled_runs": cancelled,
        "exited_runs": exited,
        "skipped_enrolments": skipped,
        "conversion_rate": round(goal * 100 / completed, 2) if completed else 0.0,
        "avg_duration": round(duration / finished / 1000) if finished else 0,
        "node_stats": {
            n.node_id: {
                "executed": n.executed,
                "succeeded": n.succeeded,
                "failed": n.failed,
                "waiting": n.waiting,
                "skipped": n.skipped,
            }
            for n in nodes
        },
    }


async def stats(session: AsyncSession, *, principal: Principal, workflow_id: uuid.UUID) -> dict[str, Any]:
    workflow = await workflows.get(session, principal=principal, workflow_id=workflow_id)
    counters = await repository.counters(session, workflow_id=workflow.id)
    nodes = await repository.node_counters(session, workflow_id=workflow.id)
    return stats_view(workflow.id, counters, nodes)


async def waiting(
    session: AsyncSession, *, principal: Principal, workflow_id: uuid.UUID, version: int | None
) -> list[dict[str, Any]]:
    """How many runs wait at each node now, per version: what publishing a change would leave behind. An
    archived workflow is never published again, so it is a 404 here like the workflow itself."""
    workflow = await workflows.get_live(session, principal=principal, workflow_id=workflow_id)
    rows = await repository.waiting(session, workflow_id=workflow.id, version=version)
    return [{"version": v, "node_id": node, "count": count} for v, node, count in rows]


async def trigger(
    session: AsyncSession,
    settings: Settings,
    *,
    principal: Principal,
    workflow_id: uuid.UUID,
    contact_id: str,
    data: dict[str, Any],
    idempotency_key: str | None,
) -> dict[str, Any]:
    workflow = await workflows.get(session, principal=principal, workflow_id=workflow_id)
    if workflow.status != "active":
        raise ConflictError(
            f"only an active workflow can be triggered; this one is {workflow.status}",
            code="workflow_not_active",
        )
    return start(
        session,
        settings,
        tenant_id=principal.tenant_id,
        workflow_id=workflow.id,
        contact_id=contact_id,
        data=data,
        event_type=event_types.TRIGGER_MANUAL,
        idempotency_key=idempotency_key,
    )


def start(
    session: AsyncSession,
    settings: Settings,
    *,
    tenant_id: str,
    workflow_id: uuid.UUID,
    contact_id: str,
    data: dict[str, Any],
    event_type: str,
    idempotency_key: str | None,
) -> dict[str, Any]:
    """Queue a targeted trigger event (manual or webhook) and say which run it will start."""
    wf = str(workflow_id)
    event_id = (
        records.derived_event_id(event_type, tenant_id, wf, contact_id, idempotency_key)
        if idempotency_key
        else str(uuid.uuid4())
    )
    records.publish_event(
        session,
        settings,
        event_id=event_id,
        event_type=event_type,
        tenant_id=tenant_id,
        contact_id=contact_id,
        data={**data, "workflowId": wf},
    )
    return {
        "event_id": event_id,
        "run_id": uuid.UUID(run_id_for(tenant_id, wf, contact_id, event_id)),
        "workflow_id": workflow_id,
        "contact_id": contact_id,
    }


async def cancel(
    session: AsyncSession,
    settings: Settings,
    *,
    principal: Principal,
    workflow_id: uuid.UUID,
    run_id: uuid.UUID,
    reason: str | None,
) -> dict[str, Any]:
    run = await _run(session, principal=principal, workflow_id=workflow_id, run_id=run_id)
    if run.status != "running":
        raise ConflictError(f"run {run_id} already ended ({run.status})", code="run_not_running")
    event_id = records.derived_event_id(event_types.RUN_CANCEL_REQUESTED, principal.tenant_id, str(run.id))
    records.publish_event(
        session,
        settings,
        event_id=event_id,
        event_type=event_types.RUN_CANCEL_REQUESTED,
        tenant_id=principal.tenant_id,
        contact_id=run.contact_id,
        data={"runId": str(run.id), "reason": reason or "cancelled by user"},
    )
    return {"event_id": event_id, "run_id": run.id}
