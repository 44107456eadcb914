"""What one batch changes in the analytics read models (per workflow and version). Pure: no I/O.

Idempotent like ``plan``, by the same state transitions: a run counts as started when its row is created and
as ended when it leaves running; a step counts when its row is created or moves up the status rank; an edge
(the step before a step of the same run, by ``seq``) counts when the later step's row is created. A replayed
event finds its row already there and changes nothing.

The branch a step took is in its ``output``: ``branch`` (condition, wait_for_event, run_workflow), ``case``
(switch), ``variant`` (split).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from api.projector.events import STEP_RANK, RunEvent, StepRecord
from api.projector.plan import BatchPlan, ExistingRun
from streams.engine.nodes.messaging import MESSAGE_CHANNELS

MESSAGE_TYPES: Final = frozenset(MESSAGE_CHANNELS)
BRANCH_FIELD: Final = {
    "condition": "branch",
    "wait_for_event": "branch",
    "run_workflow": "branch",
    "switch": "case",
    "split": "variant",
}
END_COLUMNS: Final = ("completed", "goal_reached", "failed", "cancelled", "exited")
QUARTER: Final = timedelta(minutes=15)
_EPOCH: Final = datetime(2000, 1, 1, tzinfo=UTC)
# Night: a local hour from 22:00 to 06:00.
NIGHT_HOURS: Final = frozenset({22, 23, 0, 1, 2, 3, 4, 5})

NodeKey = tuple[uuid.UUID, int, str]
EdgeKey = tuple[uuid.UUID, int, str, str, str]
SplitKey = tuple[uuid.UUID, int, str, str]
GoalKey = tuple[uuid.UUID, int, str, str]
BucketKey = tuple[uuid.UUID, int, datetime]


def _counts() -> defaultdict[str, int]:
    return defaultdict(int)


@dataclass(slots=True)
class AnalyticsDeltas:
    nodes: defaultdict[NodeKey, defaultdict[str, int]] = field(default_factory=lambda: defaultdict(_counts))
    edges: defaultdict[EdgeKey, int] = field(default_factory=lambda: defaultdict(int))
    splits: defaultdict[SplitKey, defaultdict[str, int]] = field(default_factory=lambda: defaultdict(_counts))
    goals: dict[GoalKey, tuple[int, datetime | None]] = field(default_factory=dict)
    buckets: defaultdict[BucketKey, defaultdict[str, int]] = field(
        default_factory=lambda: defaultdict(_counts)
    )


@dataclass(frozen=True, slots=True)
class PriorStep:
    """The step before another of the same run: where the run came from, and the branch it took there."""

    node_id: str
    branch: str | None


def branch_taken(node_type: str, output: Mapping[str, Any]) -> str | None:
    key = BRANCH_FIELD.get(node_type)
    value = output.get(key) if key else None
    if value is None or isinstance(value, dict | list):
        return None
    text = "true" if value is True else "false" if value is False else str(value)
    return text[:100]


def quarter(at: datetime) -> datetime:
    """The UTC quarter hour holding ``at`` (every zone's offset is a multiple of 15 minutes)."""
    return _EPOCH + (at - _EPOCH) // QUARTER * QUARTER


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _dig(value: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def contact_zone_name(context: Mapping[str, Any] | None, trigger: Mapping[str, Any]) -> Any:
    """The first time zone the run carries for its contact (the order the recount uses too)."""
    for value in (
        _dig(context, "timezone"),
        _dig(context, "contact", "timezone"),
        _dig(trigger, "data", "contact", "timezone"),
        _dig(trigger, "data", "timezone"),
    ):
        if value is not None:
            return value
    return None


def send_zone(event: RunEvent, step: StepRecord, workflow_zone: str | None) -> ZoneInfo:
    """The zone a send's local hour is read in: the contact's zone the engine recorded with the send, else
    one the run carries, else the workflow's, else UTC."""
    recorded = step.output.get("contactTimezone") if isinstance(step.output, dict) else None
    name = recorded if isinstance(recorded, str) else contact_zone_name(event.context, event.trigger_event)
    found = zone(name) if isinstance(name, str) else None
    if found is None and workflow_zone:
        found = zone(workflow_zone)
    return found or ZoneInfo("UTC")


def _count_step(
    out: AnalyticsDeltas,
    event: RunEvent,
    step: StepRecord,
    before: str | None,
    workflow_zone: str | None,
) -> None:
    node = out.nodes[(event.workflow_id, event.workflow_version, step.node_id)]
    if before is None:
        node["entered"] += 1
    else:
        node[_status_column(before)] -= 1
    node[_status_column(step.status)] += 1
    if step.status != "completed":
        return
    if step.node_type in MESSAGE_TYPES:
        node["sends"] += 1
        at = step.completed_at or step.started_at or event.started_at
        if at.astimezone(send_zone(event, step, workflow_zone)).hour in NIGHT_HOURS:
            node["night_sends"] += 1
    variant = branch_taken(step.node_type, step.output) if step.node_type == "split" else None
    if variant is not None:
        key = (event.workflow_id, event.workflow_version, step.node_id, variant)
        out.splits[key]["entered"] += 1


def _status_column(status: str) -> str:
    return status if status in ("completed", "failed", "skipped") else "waiting"


def _count_run(out: AnalyticsDeltas, run: RunEvent, *, created: bool, ended: bool) -> None:
    version = run.workflow_version
    if created:
        out.buckets[(run.workflow_id, version, quarter(run.started_at))]["started"] += 1
    if not ended or run.completed_at is None:
        return
    if run.status in END_COLUMNS:
        out.buckets[(run.workflow_id, version, quarter(run.completed_at))][run.status] += 1
    if run.status == "goal_reached" and run.goal_reached_id:
        key = (run.workflow_id, version, run.goal_reached_id, run.current_node_id or "")
        count, last = out.goals.get(key, (0, None))
        out.goals[key] = (count + 1, run.completed_at if last is None else max(last, run.completed_at))


def plan_analytics(
    plan: BatchPlan,
    *,
    existing_runs: Mapping[uuid.UUID, ExistingRun],
    existing_steps: Mapping[uuid.UUID, str],
    prior: Mapping[tuple[uuid.UUID, int], PriorStep],
    run_splits: Mapping[uuid.UUID, list[tuple[str, str]]],
    zones: Mapping[uuid.UUID, str | None],
) -> AnalyticsDeltas:
    """``prior``: the step at ``seq - 1`` of each new step's run; ``run_splits``: (split node, variant) of
    each split a run that reached a goal in this batch went through; ``zones``: each workflow's zone."""
    out = AnalyticsDeltas()
    for run_id, run in plan.runs.items():
        _count_run(out, run, created=run_id not in existing_runs, ended=run_id in plan.ended)
        if run_id in plan.ended and run.status == "goal_reached":
            for node_id, variant in run_splits.get(run_id, []):
                out.splits[(run.workflow_id, run.workflow_version, node_id, variant)]["converted"] += 1
    for step_id, (event, step) in plan.steps.items():
        before = existing_steps.get(step_id)
        if before is not None and STEP_RANK[step.status] <= STEP_RANK[before]:
            continue
        _count_step(out, event, step, before, zones.get(event.workflow_id))
        came_from = prior.get((event.run_id, step.seq - 1)) if before is None and step.seq > 1 else None
        if came_from is not None:
            key = (event.workflow_id, event.workflow_version, came_from.node_id, step.node_id)
            out.edges[(*key, came_from.branch or "")] += 1
    return out


def close_waiting(out: AnalyticsDeltas, run: RunEvent, node_id: str) -> None:
    """A step still waiting when its run ended was marked skipped."""
    node = out.nodes[(run.workflow_id, run.workflow_version, node_id)]
    node["waiting"] -= 1
    node["skipped"] += 1


def new_step_keys(plan: BatchPlan, existing_steps: Mapping[uuid.UUID, str]) -> set[tuple[uuid.UUID, int]]:
    """(run id, seq) of the step before each step created in this batch."""
    return {
        (event.run_id, step.seq - 1)
        for step_id, (event, step) in plan.steps.items()
        if step_id not in existing_steps and step.seq > 1
    }


def converted_runs(plan: BatchPlan) -> set[uuid.UUID]:
    return {run_id for run_id, run in plan.ended.items() if run.status == "goal_reached"}
