"""Apply one batch of run events in one transaction: runs, steps, schedules, counters, skipped enrolments.

A ``workflow.contact.erased`` record in the batch deletes the contact's runs and steps (with what they
counted) at its place in the topic order: run events before it are applied first, so rows re-created by its
cancelled runs go too, and runs that start after it stay.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api import metrics
from api.contacts import repository as contacts
from api.projector import analytics_plan, analytics_repository, repository
from api.projector.events import ContactErased, EnrolmentSkip, RunEvent, StepRecord
from api.projector.plan import BatchPlan, ExistingRun, plan_batch, processed_at

log = logging.getLogger(__name__)
SCHEDULE_NAMESPACE = uuid.UUID("5d2f8e1a-7c3b-5a49-b6e0-9f1d2c3b4a5e")


def _run_row(run: RunEvent) -> dict[str, Any]:
    return {
        "id": run.run_id,
        "tenant_id": run.tenant_id,
        "workflow_id": run.workflow_id,
        "workflow_version": run.workflow_version,
        "contact_id": run.contact_id,
        "status": run.status,
        "current_node_id": run.current_node_id,
        "trigger_event": run.trigger_event,
        "context": run.context or {},
        "goal_reached_id": run.goal_reached_id,
        "error_message": run.error_message,
        "started_at": run.started_at,
        "completed_at": run.completed_at,
        "last_event_at": run.occurred_at,
    }


def _step_row(event: RunEvent, step: StepRecord) -> dict[str, Any]:
    return {
        "id": step.id,
        "run_id": event.run_id,
        "node_id": step.node_id,
        "node_type": step.node_type,
        "visit": step.visit,
        "seq": step.seq,
        "status": step.status,
        "input": step.input,
        "output": step.output,
        "error_message": step.error_message,
        "started_at": step.started_at,
        "completed_at": step.completed_at,
        "scheduled_at": step.scheduled_at,
    }


def _schedule_rows(plan: BatchPlan) -> list[dict[str, Any]]:
    return [
        {
            "id": uuid.uuid5(SCHEDULE_NAMESPACE, str(step.id)),
            "tenant_id": event.tenant_id,
            "workflow_id": event.workflow_id,
            "run_id": event.run_id,
            "step_id": step.id,
            "scheduled_at": step.scheduled_at,
            "processed_at": processed_at(event, step),
        }
        for event, step in plan.steps.values()
        if step.scheduled_at is not None
    ]


Projected = RunEvent | EnrolmentSkip | ContactErased


async def apply_batch(engine: AsyncEngine, events: Sequence[Projected]) -> BatchPlan:
    """Idempotent: applying the same events again (or any prefix of them again) changes nothing. Returns
    the plan of the last run-event segment."""
    plan = BatchPlan()
    async with engine.begin() as conn:
        segment: list[RunEvent] = []
        skips: list[EnrolmentSkip] = []
        for event in events:
            if isinstance(event, RunEvent):
                segment.append(event)
                continue
            if isinstance(event, EnrolmentSkip):
                skips.append(event)  # counted, never erased: the rows name no contact
                continue
            if segment:
                plan = await _apply_runs(conn, segment)
                segment = []
            erased = await contacts.erase(conn, tenant_id=event.tenant_id, contact_id=event.contact_id)
            metrics.PROJECTED.labels("contact_erased").inc()
            log.info("projector erased a contact: %d runs, %d steps deleted", erased.runs, erased.steps)
        if segment:
            plan = await _apply_runs(conn, segment)
        if skips:
            await _apply_skips(conn, skips)
    return plan


async def _apply_skips(conn: AsyncConnection, skips: list[EnrolmentSkip]) -> None:
    owners = await repository.workflow_tenants(conn, {s.workflow_id for s in skips})
    known = {s.key: s for s in skips if owners.get(s.workflow_id) == s.tenant_id}
    if len(known) < len(skips):
        metrics.PROJECTED.labels("unknown_workflow").inc(len(skips) - len(known))
    rows = [
        {
            "key": s.key,
            "tenant_id": s.tenant_id,
            "workflow_id": s.workflow_id,
            "workflow_version": s.workflow_version,
            "reason": s.reason,
            "occurred_at": s.occurred_at,
        }
        for s in known.values()
    ]
    added = await repository.insert_enrolment_skips(conn, rows)  # only new keys: a redelivery counts once
    deltas: dict[uuid.UUID, dict[str, int]] = {}
    for workflow_id in added:
        deltas.setdefault(workflow_id, {"skipped_enrolments": 0})["skipped_enrolments"] += 1
    await repository.add_run_counters(conn, deltas)
    metrics.PROJECTED.labels("enrolment_skipped").inc(len(added))


async def _plan_analytics(
    conn: AsyncConnection,
    plan: BatchPlan,
    existing_runs: dict[uuid.UUID, ExistingRun],
    existing_steps: dict[uuid.UUID, str],
) -> analytics_plan.AnalyticsDeltas:
    """Read after this batch's steps are written: the step before each new step may be in the batch."""
    prior = await analytics_repository.prior_steps(conn, analytics_plan.new_step_keys(plan, existing_steps))
    splits = await analytics_repository.run_splits(conn, analytics_plan.converted_runs(plan))
    sends = {e.workflow_id for e, s in plan.steps.values() if s.node_type in analytics_plan.MESSAGE_TYPES}
    zones = await analytics_repository.workflow_zones(conn, sends) if sends else {}
    return analytics_plan.plan_analytics(
        plan,
        existing_runs=existing_runs,
        existing_steps=existing_steps,
        prior=prior,
        run_splits=splits,
        zones=zones,
    )


async def _apply_runs(conn: AsyncConnection, events: list[RunEvent]) -> BatchPlan:
    owners = await repository.workflow_tenants(conn, {e.workflow_id for e in events})
    known = [e for e in events if owners.get(e.workflow_id) == e.tenant_id]
    if len(known) < len(events):
        # A run of a workflow this database does not hold (or of another tenant's id): never projected.
        metrics.PROJECTED.labels("unknown_workflow").inc(len(events) - len(known))
        log.warning("projector skipped %d run events of unknown workflows", len(events) - len(known))
    step_ids = {e.step.id for e in known if e.step is not None}
    existing_runs = await repository.lock_runs(conn, {e.run_id for e in known})
    existing_steps = await repository.lock_steps(conn, step_ids) if step_ids else {}
    plan = plan_batch(known, existing_runs=existing_runs, existing_steps=existing_steps)
    # Order matters: steps reference runs, schedules reference steps.
    await repository.upsert_runs(conn, [_run_row(r) for r in plan.runs.values()])
    await repository.upsert_steps(conn, [_step_row(e, s) for e, s in plan.steps.values()])
    await repository.upsert_schedules(conn, _schedule_rows(plan))
    analytics = await _plan_analytics(conn, plan, existing_runs, existing_steps)
    for run_id, node_id in await repository.close_ended_runs(conn, plan.ended):
        # The run ended (a goal, a cancel) while this step waited: the node's work was bypassed.
        deltas = plan.node_deltas[(plan.ended[run_id].workflow_id, node_id)]
        deltas["waiting"] -= 1
        deltas["skipped"] += 1
        analytics_plan.close_waiting(analytics, plan.ended[run_id], node_id)
    await repository.add_run_counters(conn, plan.run_deltas)
    await repository.add_node_counters(conn, plan.node_deltas)
    await analytics_repository.add_analytics(conn, analytics)
    metrics.PROJECTED.labels("applied").inc(len(known))
    return plan
