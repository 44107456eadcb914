"""The interface other components are written against: Event, ContactState, DefinitionIndex, effects,
simulate."""

from __future__ import annotations

import json
from typing import Any

import pytest

import streams.engine as engine
from streams.engine import (
    ContactState,
    DefinitionIndex,
    EmitRunEvent,
    Event,
    EventError,
    StateError,
    compile_definition,
    event_types,
    run_id_for,
    simulate,
)

from .helpers import DAY, T0, Harness, node, run_id, workflow

GOOD = {
    "id": "e1",
    "type": "contact.created",
    "tenantId": "t1",
    "contactId": "c1",
    "occurredAt": "2026-01-01T00:00:00Z",
    "data": {"a": 1},
}


def test_event_round_trip() -> None:
    e = Event.from_dict(GOOD)
    assert e.occurred_at_ms == T0
    assert e.to_dict() == GOOD
    assert Event.from_dict({**GOOD, "id": 42}).id == "42"
    assert Event.from_dict({**GOOD, "occurredAt": T0}).occurred_at == "2026-01-01T00:00:00.000Z"
    assert Event.from_dict({k: v for k, v in GOOD.items() if k != "data"}).data == {}


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ([], "JSON object"),
        ({**GOOD, "id": ""}, "'id'"),
        ({k: v for k, v in GOOD.items() if k != "tenantId"}, "'tenantId'"),
        ({**GOOD, "contactId": None}, "'contactId'"),
        ({**GOOD, "type": 3}, "'type'"),
        ({**GOOD, "occurredAt": "yesterday"}, "'occurredAt'"),
        ({**GOOD, "occurredAt": None}, "'occurredAt'"),
        ({**GOOD, "data": [1]}, "'data'"),
    ],
)
def test_bad_envelopes(raw: Any, field: str) -> None:
    with pytest.raises(EventError, match=field):
        Event.from_dict(raw)


def test_event_type_constants() -> None:
    assert event_types.TIMER_FIRED == "workflow.timer.fired"
    assert event_types.PLATFORM_EVENT_TYPES.isdisjoint(event_types.INTERNAL_EVENT_TYPES)


def test_public_names() -> None:
    for name in (
        "WorkflowDefinition",
        "validate",
        "compile_definition",
        "Event",
        "ContactState",
        "DefinitionIndex",
        "step",
        "Transition",
        "simulate",
        "SendMessage",
        "ScheduleTimer",
        "CancelTimer",
        "EmitRunEvent",
        "DefinitionError",
        "EngineError",
    ):
        assert name in engine.__all__


def test_state_round_trips_through_json() -> None:
    h = Harness(
        workflow(
            [node("w", "webhook", url="https://x.example.com"), node("d", "delay", duration=1, unit="days")]
        )
    )
    h.create(email="a@b.c", attributes={"nested": {"x": [1, 2]}})
    rid = run_id("created")
    h.apply(
        "workflow.action.completed", {"runId": rid, "idempotencyKey": f"{rid}:w:1", "output": {"status": 201}}
    )
    h.apply("contact.created", {"contact": {}}, event_id="second")
    data = h.state.to_dict()
    decoded = ContactState.from_dict(json.loads(json.dumps(data)))
    assert decoded.to_dict() == data
    assert decoded.runs[rid].variables == {"w": {"status": 201}}


@pytest.mark.parametrize("record", [None, {}, {"format": 99}, {"format": 1, "runs": []}])
def test_bad_state_records(record: Any) -> None:
    with pytest.raises(StateError):
        ContactState.from_dict(record)


def test_finished_memory_is_bounded() -> None:
    definitions = [
        workflow([node("a", "end")], workflow_id=f"wf{i}", trigger={"type": "event", "event": "go"})
        for i in range(300)
    ]
    h = Harness(*definitions)
    h.apply("go")
    assert len(h.state.finished) == 256
    assert not h.state.runs


def test_run_id_is_derived() -> None:
    assert run_id_for("t", "w", "c", "e") == run_id_for("t", "w", "c", "e") != run_id_for("t", "w", "c", "e2")


def test_index_candidates_and_updates() -> None:
    a = compile_definition(workflow([node("a", "end")], workflow_id="A"))
    b1 = compile_definition(
        workflow([node("a", "end")], workflow_id="B", trigger={"type": "segment_entry", "segmentId": "s"})
    )
    paused = compile_definition(workflow([node("a", "end")], workflow_id="P", status="paused"))
    index = DefinitionIndex([a, b1, paused])
    assert [d.id for d in index.candidates("t1", "contact.created")] == ["A"]
    assert [d.id for d in index.candidates("t1", "segment.member.added")] == ["B"]
    assert index.candidates("t2", "contact.created") == ()
    assert index.get("P", 1) is paused
    assert index.active("P") is None
    b2 = compile_definition(workflow([node("a", "end")], workflow_id="B", version=2))
    index.add(b2)
    index.set_active("B", 2)
    assert index.candidates("t1", "segment.member.added") == ()
    assert {d.id for d in index.candidates("t1", "contact.created")} == {"A", "B"}
    assert index.get("B", 1) is b1  # in-flight runs keep their version
    index.set_active("A", None)
    index.remove("B", 2)
    assert index.candidates("t1", "contact.created") == ()
    archived = compile_definition(workflow([node("a", "end")], workflow_id="B", version=2, status="archived"))
    index.add(archived)
    assert index.candidates("t1", "contact.created") == ()


def test_effect_dicts_are_json_and_keyed() -> None:
    h = Harness(
        workflow([node("s", "send_email", templateId="t"), node("w", "webhook", url="https://x.example.com")])
    )
    effects = h.create()
    for effect in effects:
        d = json.loads(json.dumps(effect.to_dict()))
        assert d["idempotencyKey"]
        assert d["tenantId"] == "t1"
        assert d["contactId"] == "c1"
        assert d["runId"]
        assert d["kind"] == effect.kind
        assert d["subject"] == effect.subject
    assert len({e.idempotency_key for e in effects}) == len(effects)


def test_simulate_spec_example() -> None:
    definition = {
        "trigger": {"type": "event", "event": "contact.created"},
        "nodes": [
            node("n1", "send_email", templateId="t"),
            node("n2", "delay", duration=1, unit="days"),
            node("n3", "webhook", url="https://x.example.com"),
            node(
                "n4", "condition", conditions=[{"field": "hasClicked", "operator": "equals", "value": True}]
            ),
            node("yes", "add_tag", tag="clicked"),
            node("no", "end"),
        ],
        "edges": [
            {"source": "trigger", "target": "n1"},
            {"source": "n1", "target": "n2"},
            {"source": "n2", "target": "n3"},
            {"source": "n3", "target": "n4"},
            {"source": "n4", "target": "yes", "branch": "true"},
            {"source": "n4", "target": "no", "branch": "false"},
        ],
    }
    contact = {"email": "a@b.c"}
    rid = run_id_for("simulation", "draft", "simulated-contact", "created")
    events = [
        {"id": "created", "type": "contact.created", "at": 0, "data": {"contact": contact}},
        {"type": "pipeline.message.clicked", "at": 3_600_000, "data": {"runId": rid}},
    ]
    result = simulate(definition, contact, events, T0)
    assert result.path == ["n1", "n2", "n3", "n4", "yes"]
    assert result.runs[rid]["status"] == "completed"
    assert result.end_time == T0 + DAY
    again = simulate(definition, contact, events, T0)
    assert [e.to_dict() for e in again.effects] == [e.to_dict() for e in result.effects]
    json.dumps(result.to_dict())
    waiting = simulate(definition, contact, events, T0, auto_complete_actions=False)
    # Nobody answers the webhook: the virtual clock reaches the action timeout.
    assert waiting.path == ["n1", "n2", "n3"]
    assert waiting.runs[rid]["status"] == "failed"
    assert "timed out" in waiting.runs[rid]["errorMessage"]


def test_simulate_goal_and_draft_status() -> None:
    d = workflow(
        [node("d", "delay", duration=2, unit="days"), node("s", "send_sms", templateId="t")],
        goals=[{"id": "g", "event": "bought"}],
        status="draft",
    )
    result = simulate(
        compile_definition(d), {}, [{"type": "contact.created", "at": 0}, {"type": "bought", "at": DAY}], T0
    )
    assert result.path == ["d"]
    assert next(iter(result.runs.values()))["goalReachedId"] == "g"


def test_trigger_index_narrows_without_changing_matches() -> None:
    definitions = []
    for i, (field, value) in enumerate(
        [
            ("source", "web"),
            ("source", "ads"),
            ("attributes.vip", True),
            ("attributes.score", 1),
            ("email", None),
        ]
    ):
        conditions = [{"field": field, "operator": "equals", "value": value}] if value is not None else None
        definitions.append(
            workflow(
                [node("a", "end")],
                workflow_id=f"w{i}",
                trigger={"type": "event", "event": "go", "conditions": conditions},
            )
        )
    profile = {"source": "web", "attributes": {"vip": True, "score": 1.0}}
    h = Harness(*definitions, profile=profile)
    started = [
        e.run["workflowId"]
        for e in h.apply("go")
        if isinstance(e, EmitRunEvent) and e.event_type == "workflow.run.started"
    ]
    assert started == ["w0", "w2", "w3", "w4"]
    h2 = Harness(*definitions, profile={"attributes": {"vip": 1, "score": True}})
    started = [
        e.run["workflowId"]
        for e in h2.apply("go")
        if isinstance(e, EmitRunEvent) and e.event_type == "workflow.run.started"
    ]
    assert started == ["w4"]  # True is not 1 and 1 is not True
