"""Bodies of the run routes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from api.kit.schemas import Input, Schema, Timestamp
from api.kit.text import CONTACT_ID_PATTERN, NO_NUL_PATTERN

RunStatus = Literal["running", "completed", "failed", "goal_reached", "cancelled", "exited"]
StepStatus = Literal["pending", "running", "completed", "failed", "skipped"]


class RunOut(Schema):
    id: uuid.UUID
    workflow_id: uuid.UUID
    workflow_version: int
    contact_id: str
    status: RunStatus
    current_node_id: str | None
    trigger_event: dict[str, Any]
    context: dict[str, Any]
    goal_reached_id: str | None
    error_message: str | None
    started_at: datetime
    completed_at: datetime | None


class StepOut(Schema):
    id: uuid.UUID
    run_id: uuid.UUID
    node_id: str
    node_type: str
    visit: int
    status: StepStatus
    input: dict[str, Any]
    output: dict[str, Any]
    error_message: str | None
    started_at: datetime | None
    completed_at: datetime | None
    scheduled_at: datetime | None


class WaitingForOut(Schema):
    """What a running run waits for now, and until when at the latest."""

    kind: Literal["event", "send_window", "frequency_cap", "delay", "wait_until", "action", "subworkflow"] = (
        Field(
            description="event: a wait_for_event node; send_window: a message node outside its send window; "
            "frequency_cap: a message held by a frequency cap until a send is allowed; delay / wait_until: "
            "those nodes; action: an HTTP call in flight; subworkflow: a run_workflow node waiting for the "
            "run it started"
        )
    )
    node_id: str
    event_type: str | None = Field(default=None, description="the awaited event type (kind event)")
    child_run_id: str | None = Field(default=None, description="the sub-workflow's run (kind subworkflow)")
    until: datetime | None = Field(
        description="when the wait ends at the latest: the timeout (event, action, subworkflow), the "
        "window's next opening with smoothing (send_window), when the cap allows a send again "
        "(frequency_cap), the due time (delay, wait_until); null when the record does not say (an action "
        "recorded before timeouts were)"
    )


class RunDetailOut(RunOut):
    steps: list[StepOut]
    resumes_at: datetime | None = Field(description="when a waiting run's pending timer is due, if any")
    waiting_for: WaitingForOut | None = Field(
        default=None, description="what the run waits for now; null when it is not waiting or has ended"
    )


class TriggerIn(Input):
    model_config = {
        "json_schema_extra": {"examples": [{"contactId": "550e8400-e29b-41d4-a716-446655440010"}]}
    }

    contact_id: str = Field(min_length=1, max_length=100)
    data: dict[str, Any] = Field(default_factory=dict, description="extra event data (event.* in conditions)")


class TriggerOut(Schema):
    event_id: str
    run_id: uuid.UUID = Field(description="the id the run will have (derived from the event id)")
    workflow_id: uuid.UUID
    contact_id: str
    status: Literal["accepted"] = "accepted"


class CancelIn(Input):
    reason: str | None = Field(default=None, max_length=1000)


class CancelOut(Schema):
    event_id: str
    run_id: uuid.UUID
    status: Literal["cancel_requested"] = "cancel_requested"


class NodeStatsOut(Schema):
    executed: int
    succeeded: int
    failed: int
    waiting: int
    skipped: int = Field(
        default=0,
        description="visits that were waiting in this node (delay, wait until, HTTP call) when a goal, a "
        "cancel or the stale-run detector ended the run: the node's work was bypassed",
    )


class StatsOut(Schema):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "workflowId": "550e8400-e29b-41d4-a716-446655440000",
                    "totalRuns": 15000,
                    "runningRuns": 250,
                    "completedRuns": 14500,
                    "failedRuns": 50,
                    "goalReachedRuns": 2000,
                    "conversionRate": 13.79,
                    "avgDuration": 172800,
                    "cancelledRuns": 200,
                    "exitedRuns": 40,
                    "skippedEnrolments": 12,
                    "nodeStats": {
                        "node-1": {
                            "executed": 15000,
                            "succeeded": 14950,
                            "failed": 50,
                            "waiting": 0,
                            "skipped": 0,
                        },
                        "node-2": {
                            "executed": 14950,
                            "succeeded": 12500,
                            "failed": 0,
                            "waiting": 250,
                            "skipped": 2200,
                        },
                    },
                }
            ]
        }
    }

    workflow_id: uuid.UUID
    total_runs: int
    running_runs: int
    completed_runs: int = Field(description="runs that reached an end, goal-reached runs included")
    failed_runs: int
    goal_reached_runs: int = Field(description="runs a goal ended (a subset of completedRuns)")
    conversion_rate: float = Field(
        description="goalReachedRuns / completedRuns x 100, two decimals; 0 while nothing completed"
    )
    avg_duration: int = Field(description="mean seconds from start to end over finished runs")
    node_stats: dict[str, NodeStatsOut]
    cancelled_runs: int = Field(default=0, description="runs cancelled by an operator or an erasure")
    exited_runs: int = Field(
        default=0,
        description="runs settings.exitWhen ended (status exited): not completed, not a goal, not counted "
        "in conversionRate",
    )
    skipped_enrolments: int = Field(
        default=0,
        description="enrolments a re-entry cap (settings.maxActiveRunsPerContact, or the per-contact cap) "
        "refused: no run was started for them",
    )


class BulkCancelIn(Input):
    """Which running runs to cancel: every filter given must match (none: all of the workflow's)."""

    model_config = {
        "json_schema_extra": {
            "examples": [{"startedBefore": "2026-01-01T00:00:00Z", "reason": "campaign over"}]
        }
    }

    status: Literal["running"] = Field(default="running", description="only running runs can be cancelled")
    contact_id: str | None = Field(default=None, pattern=CONTACT_ID_PATTERN, description="one contact's runs")
    started_before: Timestamp | None = Field(default=None, description="runs started before this time")
    current_node_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        pattern=CONTACT_ID_PATTERN,
        description="runs waiting at this node now (who is where)",
    )
    version: int | None = Field(default=None, ge=1, le=2_147_483_647, description="runs of this version")
    reason: str | None = Field(default=None, max_length=1000, pattern=NO_NUL_PATTERN)
    limit: int = Field(default=10_000, ge=1, le=10_000, description="at most this many runs per call")


class BulkCancelOut(Schema):
    cancel_requested: int = Field(description="how many runs the workers were asked to cancel")
    more: bool = Field(description="more runs matched than `limit`: call again to cancel them")


class WaitingOut(Schema):
    """Runs of one version that wait at one node now (running, with that node current)."""

    version: int
    node_id: str
    count: int
