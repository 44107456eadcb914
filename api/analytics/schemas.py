"""Bodies of the analytics routes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from api.kit.schemas import Schema
from api.runs.schemas import RunStatus

Interval = Literal["hour", "day"]
ContactState = Literal["waiting", "entered", "failed", "branch"]
InsightKind = Literal[
    "split_winner",
    "node_failure_rate",
    "goal_before_node",
    "night_sends",
    "goal_never_reached",
    "branch_never_taken",
]


class TimeBucketOut(Schema):
    start: datetime = Field(description="the bucket's start in the workflow's time zone, with its offset")
    started: int = Field(description="runs started in the bucket (by startedAt)")
    completed: int = Field(description="runs that ended completed in the bucket (by completedAt)")
    goal_reached: int = Field(description="runs a goal ended in the bucket")
    failed: int
    cancelled: int
    exited: int = Field(description="runs settings.exitWhen ended in the bucket")


class TimeSeriesOut(Schema):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "interval": "day",
                    "timeZone": "Europe/Paris",
                    "buckets": [
                        {
                            "start": "2026-03-29T00:00:00+01:00",
                            "started": 120,
                            "completed": 80,
                            "goalReached": 12,
                            "failed": 3,
                            "cancelled": 1,
                            "exited": 0,
                        }
                    ],
                }
            ]
        }
    }

    interval: Interval
    time_zone: str = Field(description="the workflow's settings.timezone (UTC when it has none)")
    buckets: list[TimeBucketOut] = Field(description="every bucket of the range, zeros included, by start")


class FunnelNodeOut(Schema):
    node_id: str
    node_type: str
    entered: int = Field(description="visits of the node: a run that visits it twice counts twice")
    completed: int = Field(description="visits that completed")
    failed: int = Field(description="visits that failed")
    skipped: int = Field(description="visits skipped (a frequency cap, or the run ended while they waited)")
    waiting_now: int = Field(description="running runs whose current node it is")
    dropped_off: int = Field(
        description="visits that went nowhere from here: entered - waitingNow - runs along its edges, >= 0; "
        "0 for a node without outgoing edges (a run ending there finished the journey)"
    )
    drop_off_rate: float = Field(description="droppedOff / entered (0 when nothing entered)")


class FunnelEdgeOut(Schema):
    source: str
    target: str
    branch: str | None = Field(
        description="the branch taken: true/false, a switch case or default, a split variant, "
        "received/timeout, completed/goal_reached/failed; null for a plain edge"
    )
    runs: int = Field(description="times a run went from source to target (the trigger's edge: runs started)")


class FunnelOut(Schema):
    version: int | None = Field(description="the version the figures are for; null: across versions")
    nodes: list[FunnelNodeOut] = Field(description="the definition's nodes, in its order")
    edges: list[FunnelEdgeOut]


class SplitVariantOut(Schema):
    variant_id: str
    weight: float = Field(description="the variant's percentage in the definition")
    entered: int = Field(description="runs the split sent down this variant")
    converted: int = Field(description="of those, runs that ended by reaching a goal")
    conversion_rate: float = Field(description="converted / entered (0 when nothing entered)")
    ci_low: float = Field(description="lower bound of the 95% Wilson score interval of the rate")
    ci_high: float = Field(description="upper bound of the 95% Wilson score interval of the rate")


class SplitComparisonOut(Schema):
    baseline_id: str = Field(description="the first variant of the definition")
    best_id: str = Field(description="the variant with the highest conversion rate")
    p_value: float = Field(
        description="two-sided two-proportion z-test of the best variant against the other"
    )
    significant: bool = Field(description="pValue < 0.05")
    winner: str | None = Field(
        description="the best variant, only when significant and both compared variants have minSample runs"
    )
    summary: str = Field(description="the result in plain words")


class SplitOut(Schema):
    node_id: str
    goal_id: str | None = Field(description="the split's goalId, else the workflow's only goal, else null")
    min_sample: int = Field(description="runs each compared variant needs before a winner is declared")
    variants: list[SplitVariantOut]
    comparison: SplitComparisonOut | None = Field(description="null for a split with fewer than two variants")


class InsightOut(Schema):
    kind: InsightKind
    severity: Literal["info", "warning"]
    node_id: str | None = Field(description="the node the insight concerns, if any")
    title: str
    detail: str = Field(description="a plain-words explanation with the figures")
    evidence: dict[str, Any] = Field(description="the figures behind it")


class ContactAtNodeOut(Schema):
    run_id: uuid.UUID
    contact_id: str
    status: RunStatus
    current_node_id: str | None
    version: int
    started_at: datetime
