"""The workflow definition model (pydantic v2, camelCase JSON) and its compiled plan.

The pydantic model is for the API and for compiling; the step function only touches the ``Plan``: plain
slotted objects with adjacency, compiled predicates and precomputed node settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, PrivateAttr, field_validator
from pydantic.alias_generators import to_camel

from streams.engine.conditions import Getter, Predicate
from streams.engine.limits import DEFAULT_MAX_ACTIVE_RUNS_PER_CONTACT

if TYPE_CHECKING:
    from streams.engine.windows import SendWindow

__all__ = [
    "TRIGGER_TYPES",
    "Edge",
    "Goal",
    "Node",
    "Plan",
    "PlanGoal",
    "PlanNode",
    "Position",
    "Settings",
    "Trigger",
    "WorkflowDefinition",
    "branch_of",
]

TRIGGER_TYPES: Final = frozenset({"event", "segment_entry", "segment_exit", "schedule", "webhook", "manual"})
START: Final = "trigger"


def branch_of(edge: dict[str, Any]) -> str | None:
    """An edge's branch name: ``branch``, else ``label``, else ``sourceHandle`` (what node-graph editors
    write: the id of the handle the edge leaves from); JSON booleans and numbers become strings."""
    value = edge.get("branch")
    if value is None:
        value = edge.get("label")
    if value is None:
        value = edge.get("sourceHandle")
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")


class Position(_Model):
    x: float = 0
    y: float = 0


class Node(_Model):
    id: str
    type: str
    position: Position | None = None
    data: dict[str, Any] = {}


class Edge(_Model):
    source: str
    target: str
    id: str | None = None
    branch: str | None = None
    label: str | None = None
    source_handle: str | None = None

    @field_validator("branch", "label", "source_handle", mode="before")
    @classmethod
    def _stringify(cls, value: Any) -> Any:
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value) if isinstance(value, int | float) else value


class Trigger(_Model):
    type: str
    event: str | None = None
    conditions: Any = None
    segment_id: str | None = None
    cron: str | None = None
    timezone: str | None = None
    audience: dict[str, Any] | None = None
    token: str | None = None


class Goal(_Model):
    id: str
    name: str | None = None
    event: str | None = None
    conditions: Any = None


class Settings(_Model):
    re_entry: Literal["always", "not_while_active", "once"] = "always"
    timezone: str | None = None
    # Active runs of this workflow one contact may have at once; past it an enrolment is skipped.
    max_active_runs_per_contact: int = DEFAULT_MAX_ACTIVE_RUNS_PER_CONTACT
    # {"event": type, "conditions": ...}: a matching event ends the run as "exited" (not a goal).
    exit_when: dict[str, Any] | None = None
    # {"days", "start", "end", "timezone", "smoothing"}: when message nodes may send (streams.engine.windows).
    send_window: dict[str, Any] | None = None
    # 0..100: a workflow above 0 may use the reserved share of a frequency cap (streams.engine.caps).
    priority: int = 0


class WorkflowDefinition(_Model):
    """One version of a workflow. Build it with ``compile_definition`` (or ``WorkflowDefinition.parse``) so
    that it is validated and its plan is compiled; ``model_validate`` alone leaves ``plan`` unset."""

    id: str
    tenant_id: str
    version: int = 1
    status: Literal["draft", "active", "paused", "archived"] = "draft"
    name: str = ""
    description: str | None = None
    trigger: Trigger
    nodes: list[Node] = []
    edges: list[Edge] = []
    goals: list[Goal] = []
    settings: Settings = Settings()

    _plan: Plan | None = PrivateAttr(default=None)

    @property
    def plan(self) -> Plan:
        if self._plan is None:
            raise RuntimeError("definition was not compiled: build it with compile_definition()")
        return self._plan

    @classmethod
    def parse(cls, raw: Any) -> WorkflowDefinition:
        from streams.engine.compiler import compile_definition

        return compile_definition(raw)


@dataclass(slots=True)
class PlanNode:
    id: str
    type: str
    data: dict[str, Any]
    next: str | None = None
    branches: dict[str, str] = field(default_factory=dict)
    predicate: Predicate | None = None
    getter: Getter | None = None
    config: dict[str, Any] = field(default_factory=dict)
    # ``data`` with its secrets redacted, for step records: built once per compiled node, not per visit.
    record_input: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class PlanGoal:
    id: str
    name: str | None
    events: frozenset[str] | None  # None: any event
    predicate: Predicate


@dataclass(slots=True)
class Plan:
    workflow_id: str
    tenant_id: str
    version: int
    status: str
    trigger_type: str
    trigger_data: dict[str, Any]
    trigger_predicate: Predicate
    trigger_event_types: frozenset[str]
    start: str | None
    nodes: dict[str, PlanNode]
    goals: tuple[PlanGoal, ...]
    re_entry: str
    timezone: str | None
    max_active_runs: int = DEFAULT_MAX_ACTIVE_RUNS_PER_CONTACT  # per contact, of this workflow
    # settings.exitWhen: an event that ends a run as ``exited`` (an id of "exit", never a goal's).
    exit_when: PlanGoal | None = None
    # settings.sendWindow, compiled (streams.engine.windows.SendWindow); message nodes may override it.
    send_window: SendWindow | None = None
    priority: int = 0  # settings.priority (frequency caps' reserved share)
