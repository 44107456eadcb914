"""What one batch of run events changes: rows to write and counter deltas. Pure: no I/O.

Idempotency is by state, keyed by the ids the engine derives from event ids: a run's counters move only
when the run row is created or moves from running to an end status; a node's counters only when a step row
is created or moves up the rank pending < running < completed|failed|skipped. A redelivered or replayed
event finds its change already made and changes nothing, so replaying the topic twice gives the same rows
and the same counters as once.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from api.projector.events import STEP_RANK, RunEvent, StepRecord

RUN_BUCKET = {
    "running": "running",
    "completed": "completed",
    "failed": "failed",
    "goal_reached": "goal_reached",
    "cancelled": "cancelled",
    "exited": "exited",
}
STEP_BUCKET = {
    "pending": "waiting",
    "running": "waiting",
    "completed": "succeeded",
    "failed": "failed",
    "skipped": "skipped",
}


@dataclass(frozen=True, slots=True)
class ExistingRun:
    status: str
    last_event_at: int


@dataclass(slots=True)
class BatchPlan:
    runs: dict[uuid.UUID, RunEvent] = field(default_factory=dict)  # rows to upsert (latest snapshot)
    steps: dict[uuid.UUID, tuple[RunEvent, StepRecord]] = field(default_factory=dict)
    ended: dict[uuid.UUID, RunEvent] = field(default_factory=dict)  # runs that ended in this batch
    run_deltas: dict[uuid.UUID, dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    node_deltas: dict[tuple[uuid.UUID, str], dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )


def _newer(candidate: RunEvent, current: RunEvent | None) -> bool:
    if current is None:
        return True
    if current.terminal and not candidate.terminal:
        return False  # an end status is final
    return candidate.occurred_at >= current.occurred_at


def latest_runs(events: list[RunEvent]) -> dict[uuid.UUID, RunEvent]:
    latest: dict[uuid.UUID, RunEvent] = {}
    for event in events:  # topic order
        if _newer(event, latest.get(event.run_id)):
            latest[event.run_id] = event
    return latest


def latest_steps(events: list[RunEvent]) -> dict[uuid.UUID, tuple[RunEvent, StepRecord]]:
    latest: dict[uuid.UUID, tuple[RunEvent, StepRecord]] = {}
    for event in events:
        step = event.step
        if step is None:
            continue
        seen = latest.get(step.id)
        if seen is None or STEP_RANK[step.status] >= STEP_RANK[seen[1].status]:
            latest[step.id] = (event, step)
    return latest


def _duration_ms(run: RunEvent) -> int | None:
    if run.completed_at is None:
        return None
    return round((run.completed_at - run.started_at).total_seconds() * 1000)


def _count_end(plan: BatchPlan, run: RunEvent) -> None:
    deltas = plan.run_deltas[run.workflow_id]
    deltas[RUN_BUCKET[run.status]] += 1
    duration = _duration_ms(run)
    if duration is not None:
        deltas["finished"] += 1
        deltas["duration_ms_sum"] += duration
    plan.ended[run.run_id] = run


def plan_batch(
    events: list[RunEvent],
    *,
    existing_runs: dict[uuid.UUID, ExistingRun],
    existing_steps: dict[uuid.UUID, str],
) -> BatchPlan:
    plan = BatchPlan()
    for run_id, run in latest_runs(events).items():
        old = existing_runs.get(run_id)
        if old is None:
            plan.runs[run_id] = run
            plan.run_deltas[run.workflow_id]["total"] += 1
            if run.terminal:
                _count_end(plan, run)
            else:
                plan.run_deltas[run.workflow_id]["running"] += 1
        elif old.status != "running" or run.occurred_at < old.last_event_at:
            continue  # already ended, or this snapshot is older than the row
        else:
            plan.runs[run_id] = run
            if run.terminal:
                plan.run_deltas[run.workflow_id]["running"] -= 1
                _count_end(plan, run)
    for step_id, (event, step) in latest_steps(events).items():
        before = existing_steps.get(step_id)
        if before is not None and STEP_RANK[step.status] <= STEP_RANK[before]:
            continue
        if before is None:
            plan.node_deltas[(event.workflow_id, step.node_id)]["executed"] += 1
        else:
            old_bucket = STEP_BUCKET.get(before)
            if old_bucket:
                plan.node_deltas[(event.workflow_id, step.node_id)][old_bucket] -= 1
        new_bucket = STEP_BUCKET.get(step.status)
        if new_bucket:
            plan.node_deltas[(event.workflow_id, step.node_id)][new_bucket] += 1
        plan.steps[step_id] = (event, step)
    return plan


def processed_at(event: RunEvent, step: StepRecord) -> datetime | None:
    """A schedule is processed when its step left pending (the timer fired or the wait ended)."""
    if step.status in ("pending", "running"):
        return None
    return step.completed_at or step.started_at or event.started_at
