"""Request and response bodies of /api/v1/workflows (camelCase JSON)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Final, Literal

from pydantic import ConfigDict, Field, WithJsonSchema
from pydantic.alias_generators import to_camel

from api.kit.schemas import Input, Schema, Timestamp
from streams.engine.model import TRIGGER_TYPES

WorkflowStatus = Literal["draft", "active", "paused", "archived"]

_EXAMPLE_DEFINITION: dict[str, Any] = {
    "name": "New User Onboarding",
    "description": "Welcome sequence for new signups",
    "trigger": {
        "type": "event",
        "event": "contact.created",
        "conditions": [{"field": "source", "operator": "equals", "value": "website_signup"}],
    },
    "nodes": [
        {
            "id": "node-1",
            "type": "send_email",
            "position": {"x": 100, "y": 100},
            "data": {
                "templateId": "550e8400-e29b-41d4-a716-446655440001",
                "fromName": "Acme Team",
                "fromEmail": "hello@acme.com",
            },
        },
        {
            "id": "node-2",
            "type": "delay",
            "position": {"x": 100, "y": 200},
            "data": {"duration": 86400, "unit": "seconds"},
        },
    ],
    "edges": [{"source": "trigger", "target": "node-1"}, {"source": "node-1", "target": "node-2"}],
    "goals": [
        {
            "id": "goal-1",
            "name": "Purchased",
            "event": "contact.attribute_changed",
            "conditions": [{"field": "attributes.has_purchased", "operator": "equals", "value": True}],
        }
    ],
}


_TRIGGER_TYPES: Final = sorted(TRIGGER_TYPES)
_SEGMENT: Final = {"type": "string", "minLength": 1}


def _trigger_schema() -> dict[str, Any]:
    """What a trigger needs, per type (the engine's rules; conditions and the rest are free)."""

    def kind(name: str, **required: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {"type": {"const": name}, **required},
            "required": ["type", *required],
        }

    return {
        "description": f"`type` is one of {', '.join(_TRIGGER_TYPES)}; each type names what it needs",
        "anyOf": [
            kind("event", event={"type": "string", "minLength": 1}),
            kind("segment_entry", segmentId=_SEGMENT),
            kind("segment_exit", segmentId=_SEGMENT),
            kind("webhook"),
            kind("manual"),
            {
                **kind("schedule", cron={"type": "string", "examples": ["0 9 * * 1"]}, segmentId=_SEGMENT),
                "description": "cron: five fields; timezone: an IANA zone (default UTC)",
            },
        ],
    }


def _non_null(*fields: str) -> Any:
    """A PATCH field may be left out but never null: the document says so (no `null` branch)."""

    def edit(schema: dict[str, Any]) -> None:
        for name in fields:
            prop = schema["properties"][name]
            branches = [b for b in prop.pop("anyOf", []) if b.get("type") != "null"]
            if branches:
                prop.update(branches[0])
            prop.pop("default", None)

    return edit


TriggerIn = Annotated[dict[str, Any], WithJsonSchema(_trigger_schema())]


class WorkflowCreate(Input):
    """A new workflow (status draft, version 1). The definition is validated by the engine."""

    model_config = {"json_schema_extra": {"examples": [_EXAMPLE_DEFINITION]}}

    name: str = Field(min_length=1, max_length=255)
    description: str | None = None
    trigger: TriggerIn
    nodes: list[dict[str, Any]] = Field(default_factory=list)
    edges: list[dict[str, Any]] = Field(default_factory=list)
    goals: list[dict[str, Any]] = Field(default_factory=list)
    settings: dict[str, Any] = Field(default_factory=dict)


class WorkflowUpdate(Input):
    """Fields to change. A change of trigger, nodes, edges, goals or settings creates a new version."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        json_schema_extra=_non_null("name", "trigger", "nodes", "edges", "goals", "settings"),
    )

    name: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = None
    trigger: TriggerIn | None = None
    nodes: list[dict[str, Any]] | None = None
    edges: list[dict[str, Any]] | None = None
    goals: list[dict[str, Any]] | None = None
    settings: dict[str, Any] | None = None
    changelog: str | None = Field(default=None, max_length=10_000)


class WorkflowOut(Schema):
    id: uuid.UUID
    tenant_id: str
    name: str
    description: str | None
    status: WorkflowStatus
    version: int
    trigger: dict[str, Any]
    nodes: list[Any]
    edges: list[Any]
    goals: list[Any]
    settings: dict[str, Any]
    stats: dict[str, Any]
    webhook_token: str | None = Field(
        default=None,
        description=(
            "secret for POST /api/v1/hooks (header X-Workflow-Token) of a webhook-triggered workflow: shown "
            "once, in the answer that issued it; null afterwards (rotate to get a new one)"
        ),
    )
    has_webhook_token: bool = Field(default=False, description="whether a webhook token is set")
    created_by: uuid.UUID
    created_at: datetime
    updated_at: datetime


class WorkflowSummary(Schema):
    """A row of the workflow list: what the builder's list shows, with the run counts of the stats."""

    id: uuid.UUID
    name: str
    description: str | None
    status: WorkflowStatus
    version: int
    trigger: dict[str, Any]
    trigger_type: str = Field(description="the trigger's type (the `triggerType` filter)")
    total_runs: int = Field(default=0, description="as in the stats: every run started")
    running_runs: int = 0
    completed_runs: int = Field(default=0, description="as in the stats: goal-reached runs included")
    goal_reached_runs: int = 0
    conversion_rate: float = Field(default=0.0, description="goalReachedRuns / completedRuns x 100")
    created_by: uuid.UUID
    created_at: datetime
    updated_at: datetime = Field(description="the last change (a new version, a status change, a rename)")


class VersionOut(Schema):
    id: uuid.UUID
    workflow_id: uuid.UUID
    version: int
    trigger: dict[str, Any]
    nodes: list[Any]
    edges: list[Any]
    goals: list[Any]
    settings: dict[str, Any]
    changelog: str | None
    created_by: uuid.UUID
    author: str | None = Field(
        default=None, description="who saved it: the token's `sub` (null for versions older than the field)"
    )
    created_at: datetime


class DuplicateIn(Input):
    name: str | None = Field(
        default=None, min_length=1, max_length=255, description='default: "Copy of <name>"'
    )


class ProblemOut(Schema):
    path: str = Field(examples=["$.nodes[0].data.templateId"])
    code: str = Field(examples=["missing_required"])
    message: str
    severity: Literal["error", "warning"] = Field(
        description="an error refuses the definition; a warning never blocks create, update or activate"
    )
    node_id: str | None = Field(default=None, description="the node the problem concerns, if one")
    edge_id: str | None = Field(default=None, description="the edge the problem concerns (when it has an id)")


class ValidationOut(Schema):
    valid: bool = Field(description="true when no problem is an error (warnings allowed)")
    problems: list[ProblemOut]


class SimulatedEvent(Input):
    type: str = Field(min_length=1, max_length=200, examples=["pipeline.message.opened"])
    id: str | None = Field(default=None, max_length=200)
    at: int | None = Field(
        default=None, ge=0, le=10 * 365 * 86_400_000, strict=True, description="ms after start"
    )
    occurred_at: str | None = Field(default=None, max_length=64)
    data: dict[str, Any] = Field(default_factory=dict)


class SimulateIn(Input):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "contact": {"id": "c-1", "email": "a@example.com", "source": "website_signup"},
                    "events": [{"type": "contact.created", "at": 0}],
                }
            ]
        }
    }

    contact: dict[str, Any] = Field(default_factory=dict, description="the sample contact profile")
    events: list[SimulatedEvent] = Field(default_factory=list, max_length=200)
    start: Timestamp | None = Field(default=None, description="virtual clock start (default: now)")
    version: int | None = Field(default=None, ge=1, le=2_147_483_647, description="default: current")
    auto_complete_actions: bool = Field(default=True, strict=True)


class SimulateOut(Schema):
    path: list[str]
    paths: dict[str, list[str]]
    effects: list[dict[str, Any]]
    runs: dict[str, dict[str, Any]]
    end_time: int
