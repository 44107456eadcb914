"""Property tests: random valid acyclic workflows and random event sequences."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streams.engine import (
    ContactState,
    DefinitionIndex,
    Event,
    ScheduleTimer,
    compile_definition,
    step,
    validate,
)
from streams.engine.state import TERMINAL_STATUSES

from .helpers import CONTACT, T0, TENANT

CONDITION = {
    "any": [
        {"field": "attributes.plan", "operator": "equals", "value": "pro"},
        {"field": "hasOpened", "operator": "equals", "value": True},
    ]
}
ACTIONS: list[tuple[str, dict[str, Any]]] = [
    ("send_email", {"templateId": "t"}),
    ("send_sms", {"templateId": "t"}),
    ("add_tag", {"tag": "x"}),
    ("remove_tag", {"tag": "x"}),
    ("update_contact", {"attributes": {"plan": "pro"}}),
    ("add_to_segment", {"segmentId": "s"}),
    ("delay", {"duration": 1, "unit": "hours"}),
    ("delay", {"duration": 0, "unit": "hours", "timeOfDay": "09:00"}),
    ("wait_until", {"attribute": "attributes.renewal"}),
    ("webhook", {"url": "https://x.example.com", "continueOnError": True}),
    ("webhook", {"url": "https://x.example.com"}),
    ("slack", {"webhookUrl": "https://hooks.slack.com/x", "message": "m"}),
    ("end", {}),
]
BRANCHING = ["condition", "switch", "split"]


@st.composite
def workflows(draw: st.DrawFn) -> dict[str, Any]:
    """Each new node fills an open slot of an earlier node (so every node is reachable and the graph is
    acyclic); branching nodes left with open slots get fresh end nodes."""
    count = draw(st.integers(min_value=1, max_value=12))
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    open_slots: list[tuple[str, str | None]] = [("trigger", None)]
    for i in range(count):
        if not open_slots:
            break
        slot = open_slots.pop(draw(st.integers(min_value=0, max_value=len(open_slots) - 1)))
        node_id = f"n{i}"
        edges.append({"source": slot[0], "target": node_id, **({"branch": slot[1]} if slot[1] else {})})
        if draw(st.booleans()):
            kind = draw(st.sampled_from(BRANCHING))
        else:
            kind, data = draw(st.sampled_from(ACTIONS))
        if kind == "condition":
            data, branches = {"conditions": CONDITION}, ["true", "false"]
        elif kind == "switch":
            data, branches = (
                {"field": "attributes.plan", "cases": [{"value": "pro"}, {"value": "free"}]},
                ["pro", "free", "default"],
            )
        elif kind == "split":
            data, branches = (
                {"variants": [{"id": "A", "percentage": 30}, {"id": "B", "percentage": 70}]},
                ["A", "B"],
            )
        else:
            branches = [] if kind == "end" else [None]  # type: ignore[list-item]
        nodes.append({"id": node_id, "type": kind, "data": data})
        open_slots.extend((node_id, b) for b in branches)
    for source, branch in open_slots:
        if branch is not None:  # a branching node needs all of its branches wired: close with an end node
            end_id = f"end{len(nodes)}"
            nodes.append({"id": end_id, "type": "end", "data": {}})
            edges.append({"source": source, "target": end_id, "branch": branch})
    goals = [{"id": "g", "event": "goal.hit"}] if draw(st.booleans()) else []
    reentry = draw(st.sampled_from(["always", "not_while_active", "once"]))
    definition = {
        "id": "wf",
        "tenantId": TENANT,
        "status": "active",
        "trigger": {"type": "event", "event": "contact.created"},
        "nodes": nodes,
        "edges": edges,
        "goals": goals,
        "settings": {"reEntry": reentry},
    }
    assert validate(definition) == [], validate(definition)
    return definition


COMMANDS = st.lists(
    st.tuples(
        # Repeated names weight the draw towards events that move runs.
        st.sampled_from(
            [
                "create",
                "create",
                "timer",
                "timer",
                "timer",
                "action_ok",
                "action_ok",
                "action_fail",
                "open",
                "update",
                "bogus_timer",
                "cancel",
                "goal",
                "noise",
                "repeat",
            ]
        ),
        st.integers(min_value=0, max_value=10),
        st.integers(min_value=0, max_value=3 * 86_400_000),
    ),
    min_size=1,
    max_size=20,
).map(lambda commands: [("create", 0, 0), *commands])


def _event(event_id: str, kind: str, data: dict[str, Any], at: int) -> Event:
    return Event.create(
        id=event_id, type=kind, tenant_id=TENANT, contact_id=CONTACT, occurred_at_ms=at, data=data
    )


def _next_event(
    command: tuple[str, int, int],
    i: int,
    state: ContactState,
    timers: list[ScheduleTimer],
    now: int,
    last: Event | None,
) -> tuple[Event | None, int]:
    name, pick, gap = command
    runs = list(state.runs.values())
    run = runs[pick % len(runs)] if runs else None
    now += gap
    if name == "create":
        return _event(
            f"c{i}",
            "contact.created",
            {
                "contact": {
                    "attributes": {"plan": ["pro", "free", "x"][pick % 3], "renewal": T0 + pick * 3_600_000}
                }
            },
            now,
        ), now
    if name == "update":
        return _event(f"u{i}", "contact.updated", {"changes": {"attributes.plan": "pro"}}, now), now
    if name == "open" and run is not None:
        return _event(f"o{i}", "pipeline.message.opened", {"runId": run.run_id}, now), now
    if name == "timer" and timers:
        timer = timers[pick % len(timers)]
        now = max(now, timer.due_at)
        return _event(
            f"t{i}",
            "workflow.timer.fired",
            {"runId": timer.run_id, "timerId": timer.timer_id, "kind": timer.timer_kind},
            now,
        ), now
    if name == "bogus_timer" and run is not None:
        return _event(f"b{i}", "workflow.timer.fired", {"runId": run.run_id, "timerId": "nope"}, now), now
    if name in ("action_ok", "action_fail") and run is not None and run.wait_action_key:
        kind = "workflow.action.completed" if name == "action_ok" else "workflow.action.failed"
        return _event(
            f"a{i}",
            kind,
            {"runId": run.run_id, "idempotencyKey": run.wait_action_key, "output": {"ok": 1}, "error": "e"},
            now,
        ), now
    if name == "cancel" and run is not None:
        return _event(f"x{i}", "workflow.run.cancel_requested", {"runId": run.run_id}, now), now
    if name == "goal":
        return _event(f"g{i}", "goal.hit", {}, now), now
    if name == "repeat" and last is not None:
        return last, now
    return _event(f"n{i}", "noise", {}, now), now


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(definition=workflows(), commands=COMMANDS)
def test_random_workflows_and_events(
    definition: dict[str, Any], commands: list[tuple[str, int, int]]
) -> None:
    index = DefinitionIndex([compile_definition(definition)])
    state = ContactState.empty(TENANT, CONTACT)
    timers: list[ScheduleTimer] = []
    now, last = T0, None
    for i, command in enumerate(commands):
        event, now = _next_event(command, i, state, timers, now, last)
        assert event is not None
        transition = step(state, event, definitions=index, now=now)  # no exception may escape
        # Idempotent: the same event again changes nothing and emits nothing.
        again = step(transition.state, event, definitions=index, now=now)
        assert again.effects == []
        assert again.state.to_dict() == transition.state.to_dict()
        if last is not None and event is last:
            assert transition.effects == []
        for effect in transition.effects:
            assert effect.idempotency_key
            assert effect.run_id
            assert effect.tenant_id == TENANT
            json.dumps(effect.to_dict())
            if isinstance(effect, ScheduleTimer):
                timers.append(effect)
        keys = [e.idempotency_key for e in transition.effects]
        assert len(keys) == len(set(keys))
        state = ContactState.from_dict(json.loads(json.dumps(transition.state.to_dict())))
        # Every active run waits on a timer or an action; every finished run has a terminal status.
        for run in state.runs.values():
            assert run.status == "running"
            assert run.wait_timer_id is not None
            assert run.wait_due_at is not None
            assert (run.wait_kind == "action_timeout") == (run.wait_action_key is not None)
        for finished in state.finished.values():
            assert finished.status in TERMINAL_STATUSES
        last = event
