"""Builders shared by the engine tests."""

from __future__ import annotations

import itertools
from typing import Any

from streams.engine import (
    ContactState,
    DefinitionIndex,
    Effect,
    EmitRunEvent,
    Event,
    compile_definition,
    step,
)
from streams.engine.ids import run_id_for

TENANT = "t1"
CONTACT = "c1"
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
MINUTE = 60_000
HOUR = 3_600_000
DAY = 86_400_000


def workflow(
    nodes: list[dict[str, Any]],
    edges: list[dict[str, Any]] | None = None,
    *,
    trigger: dict[str, Any] | None = None,
    goals: list[dict[str, Any]] | None = None,
    settings: dict[str, Any] | None = None,
    workflow_id: str = "wf1",
    version: int = 1,
    status: str = "active",
) -> dict[str, Any]:
    """A definition dict; without edges the nodes are chained in order from the trigger."""
    if edges is None:
        ids = ["trigger"] + [n["id"] for n in nodes]
        edges = [{"source": a, "target": b} for a, b in itertools.pairwise(ids)]
    return {
        "id": workflow_id,
        "tenantId": TENANT,
        "version": version,
        "status": status,
        "trigger": trigger or {"type": "event", "event": "contact.created"},
        "nodes": nodes,
        "edges": edges,
        "goals": goals or [],
        "settings": settings or {},
    }


def node(node_id: str, kind: str, **data: Any) -> dict[str, Any]:
    return {"id": node_id, "type": kind, "position": {"x": 0, "y": 0}, "data": data}


def event(event_id: str, kind: str, data: dict[str, Any] | None = None, *, at: int = T0) -> Event:
    return Event.create(
        id=event_id, type=kind, tenant_id=TENANT, contact_id=CONTACT, occurred_at_ms=at, data=data
    )


def run_id(event_id: str, workflow_id: str = "wf1") -> str:
    return run_id_for(TENANT, workflow_id, CONTACT, event_id)


class Harness:
    """One contact, a set of definitions, and a clock the test moves."""

    def __init__(self, *definitions: dict[str, Any], profile: dict[str, Any] | None = None) -> None:
        self.index = DefinitionIndex([compile_definition(d) for d in definitions])
        self.state = ContactState.empty(TENANT, CONTACT)
        if profile:
            self.state.profile.update(profile)
        self.now = T0
        self.counter = 0
        self.all_effects: list[Effect] = []

    def apply(
        self, kind: str, data: dict[str, Any] | None = None, *, event_id: str | None = None
    ) -> list[Effect]:
        self.counter += 1
        e = event(event_id or f"e{self.counter}", kind, data, at=self.now)
        return self.apply_event(e)

    def apply_event(self, e: Event) -> list[Effect]:
        transition = step(self.state, e, definitions=self.index, now=self.now)
        self.state = transition.state
        self.all_effects.extend(transition.effects)
        return transition.effects

    def create(self, **profile: Any) -> list[Effect]:
        return self.apply("contact.created", {"contact": profile}, event_id="created")

    def fire(self, effect: Effect) -> list[Effect]:
        """Fire the timer of a ScheduleTimer effect at its due time."""
        assert effect.kind == "schedule_timer"
        self.now = max(self.now, effect.due_at)  # type: ignore[union-attr]
        data = {"runId": effect.run_id, "timerId": effect.timer_id, "kind": effect.timer_kind}  # type: ignore[union-attr]
        return self.apply("workflow.timer.fired", data)


def kinds(effects: list[Effect]) -> list[str]:
    """Effect kinds, with run events shown by their subject and node steps as node:status."""
    out = []
    for e in effects:
        if isinstance(e, EmitRunEvent):
            if e.step is not None:
                out.append(f"{e.step['nodeId']}:{e.step['status']}")
            else:
                out.append(e.event_type.removeprefix("workflow."))
        else:
            out.append(e.kind)
    return out


def only(effects: list[Effect], kind: str) -> Effect:
    matching = [e for e in effects if e.kind == kind]
    assert len(matching) == 1, kinds(effects)
    return matching[0]


def run_status(effects: list[Effect]) -> str | None:
    statuses = [e.run["status"] for e in effects if isinstance(e, EmitRunEvent) and e.step is None]
    return statuses[-1] if statuses else None
