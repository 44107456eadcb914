"""Goals, timers, cancellation, dedupe and the spec's three scenarios."""

from __future__ import annotations

from typing import Any

import pytest

from streams.engine import ContactState, DefinitionIndex, EmitRunEvent, StateError, compile_definition, step

from .helpers import DAY, T0, Harness, event, kinds, node, only, run_id, run_status, workflow

ONBOARDING_GOAL = {
    "id": "goal-1",
    "name": "Purchased",
    "event": "contact.attribute_changed",
    "conditions": [{"field": "attributes.has_purchased", "operator": "equals", "value": True}],
}


def onboarding(**kw: Any) -> dict[str, Any]:
    """The spec's example workflow (section 4)."""
    return workflow(
        [
            node(
                "node-1", "send_email", templateId="tpl-1", fromName="Acme Team", fromEmail="hello@acme.com"
            ),
            node("node-2", "delay", duration=86400, unit="seconds"),
            node(
                "node-3",
                "condition",
                conditions=[{"field": "hasOpened", "operator": "equals", "value": True}],
            ),
        ],
        trigger={
            "type": "event",
            "event": "contact.created",
            "conditions": [{"field": "source", "operator": "equals", "value": "website_signup"}],
        },
        goals=[ONBOARDING_GOAL],
        **kw,
    )


# -- the spec's scenarios ---------------------------------------------------------------------------------
def test_scenario_1_event_trigger_executes_nodes() -> None:
    h = Harness(onboarding())
    effects = h.create(source="website_signup", email="ada@example.com")
    assert kinds(effects) == [
        "run.started",
        "send_message",
        "node-1:completed",
        "schedule_timer",
        "node-2:pending",
    ]
    started = effects[0]
    assert isinstance(started, EmitRunEvent)
    assert started.subject == "workflow.run.started"
    assert started.run["triggerEvent"]["type"] == "contact.created"
    assert started.run["status"] == "running"
    assert h.create(source="other") == []  # same event id: deduped
    other = Harness(onboarding())
    assert other.create(source="import") == []  # condition false: no run


def test_scenario_2_delay_resumes_and_reads_opens() -> None:
    h = Harness(onboarding())
    timer = only(h.create(source="website_signup"), "schedule_timer")
    rid = run_id("created")
    h.now += 3_600_000
    assert h.apply("pipeline.message.opened", {"runId": rid}) == []
    assert h.state.runs[rid].has_opened
    resumed = h.fire(timer)
    assert kinds(resumed) == ["node-2:completed", "node-3:completed", "run.completed"]
    step_done = resumed[1]
    assert isinstance(step_done, EmitRunEvent)
    assert step_done.step is not None
    assert step_done.step["output"] == {"result": True, "branch": "true"}
    completed = resumed[0]
    assert completed.step["scheduledAt"] == T0 + DAY
    assert completed.step["startedAt"] == T0


def test_scenario_3_goal_exit_cancels_timer() -> None:
    h = Harness(onboarding())
    timer = only(h.create(source="website_signup"), "schedule_timer")
    h.now += 3_600_000
    effects = h.apply("contact.updated", {"changes": {"attributes.has_purchased": True}})
    assert kinds(effects) == ["cancel_timer", "run.goal_reached"]
    cancel = effects[0]
    assert cancel.timer_id == timer.timer_id
    assert cancel.due_at == timer.due_at
    assert effects[1].run["goalReachedId"] == "goal-1"
    assert effects[1].run["status"] == "goal_reached"
    assert not h.state.runs
    assert h.fire(timer) == []  # late firing is a no-op


# -- goals ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("goal", "kind", "data", "reached"),
    [
        (ONBOARDING_GOAL, "contact.updated", {"changes": {"attributes.has_purchased": True}}, True),
        (ONBOARDING_GOAL, "contact.attribute_changed", {"changes": {"attributes.has_purchased": True}}, True),
        (ONBOARDING_GOAL, "contact.updated", {"changes": {"attributes.has_purchased": False}}, False),
        (ONBOARDING_GOAL, "order.placed", {}, False),
        ({"id": "g", "event": "pipeline.message.clicked"}, "pipeline.message.clicked", {"runId": "x"}, True),
        (
            {
                "id": "g",
                "event": "order.placed",
                "conditions": [{"field": "event.total", "operator": "gt", "value": 10}],
            },
            "order.placed",
            {"total": 20},
            True,
        ),
        (
            {
                "id": "g",
                "event": "order.placed",
                "conditions": [{"field": "event.total", "operator": "gt", "value": 10}],
            },
            "order.placed",
            {"total": 5},
            False,
        ),
        (
            {"id": "g", "conditions": [{"field": "tags", "operator": "contains", "value": "buyer"}]},
            "contact.updated",
            {"changes": {"tags": ["buyer"]}},
            True,
        ),
        (
            {"id": "g", "conditions": [{"field": "segments", "operator": "contains", "value": "s1"}]},
            "segment.member.added",
            {"segmentId": "s1"},
            True,
        ),
    ],
)
def test_goal(goal: dict[str, Any], kind: str, data: dict[str, Any], reached: bool) -> None:
    h = Harness(workflow([node("d", "delay", duration=1, unit="days")], goals=[goal]))
    h.create()
    effects = h.apply(kind, data)
    assert (run_status(effects) == "goal_reached") is reached
    assert bool(h.state.runs) is not reached


def test_first_matching_goal_wins_and_every_run_is_checked() -> None:
    goals = [{"id": "first", "event": "x"}, {"id": "second", "event": "x"}]
    h = Harness(
        workflow([node("d", "delay", duration=1, unit="days")], goals=goals),
        workflow([node("d", "delay", duration=1, unit="days")], goals=goals, workflow_id="wf2"),
    )
    assert len(kinds(h.create())) == 6
    effects = h.apply("x")
    ends = [e for e in effects if isinstance(e, EmitRunEvent)]
    assert [e.run["goalReachedId"] for e in ends] == ["first", "first"]


# -- timers -----------------------------------------------------------------------------------------------
def test_timer_for_another_timer_id_is_a_noop() -> None:
    h = Harness(onboarding())
    timer = only(h.create(source="website_signup"), "schedule_timer")
    rid = run_id("created")
    assert h.apply("workflow.timer.fired", {"runId": rid, "timerId": "other", "kind": "delay"}) == []
    assert (
        h.apply("workflow.timer.fired", {"runId": "ghost", "timerId": timer.timer_id, "kind": "delay"}) == []
    )  # type: ignore[union-attr]
    assert h.fire(timer) != []
    assert h.fire(timer) == []  # duplicate firing (new event id) after the run moved on


def test_timer_for_unloaded_version_fails_the_run() -> None:
    h = Harness(onboarding())
    timer = only(h.create(source="website_signup"), "schedule_timer")
    h.index.remove("wf1", 1)
    effects = h.fire(timer)
    assert kinds(effects) == ["run.failed"]
    assert "version 1 is not loaded" in effects[0].run["errorMessage"]  # type: ignore[union-attr]


def test_runs_stay_pinned_to_their_version() -> None:
    v1 = workflow([node("d", "delay", duration=1, unit="days"), node("a", "add_tag", tag="v1")])
    v2 = workflow([node("d", "delay", duration=1, unit="days"), node("a", "add_tag", tag="v2")], version=2)
    h = Harness(v1)
    timer = only(h.create(), "schedule_timer")
    h.index.add(compile_definition(v2))
    h.index.set_active("wf1", 2)
    effects = h.fire(timer)
    assert only(effects, "add_tag").tag == "v1"  # type: ignore[union-attr]
    fresh = h.apply("contact.created", {"contact": {}})
    assert fresh[0].run["workflowVersion"] == 2  # type: ignore[union-attr]


# -- cancellation -----------------------------------------------------------------------------------------
def test_cancel_by_run_and_by_workflow() -> None:
    h = Harness(onboarding())
    h.create(source="website_signup")
    rid = run_id("created")
    effects = h.apply("workflow.run.cancel_requested", {"runId": rid, "reason": "operator"})
    assert kinds(effects) == ["cancel_timer", "run.cancelled"]
    assert effects[1].run["errorMessage"] == "cancelled: operator"  # type: ignore[union-attr]
    assert h.apply("workflow.run.cancel_requested", {"runId": rid}) == []
    h.apply("contact.created", {"contact": {"source": "website_signup"}})
    assert kinds(h.apply("workflow.run.cancel_requested", {"workflowId": "wf1"})) == [
        "cancel_timer",
        "run.cancelled",
    ]


# -- dedupe and state -------------------------------------------------------------------------------------
def test_duplicate_event_returns_same_state_and_no_effects() -> None:
    h = Harness(onboarding())
    e = event("e-dup", "contact.created", {"contact": {"source": "website_signup"}})
    first = step(h.state, e, definitions=h.index, now=T0)
    again = step(first.state, e, definitions=h.index, now=T0 + 5)
    assert again.effects == []
    assert again.state is first.state


def test_step_does_not_mutate_its_input() -> None:
    h = Harness(onboarding())
    h.create(source="website_signup")
    before = h.state.to_dict()
    snapshot = ContactState.from_dict(before)
    rid = run_id("created")
    step(snapshot, event("o", "pipeline.message.clicked", {"runId": rid}), definitions=h.index, now=T0)
    step(
        snapshot,
        event("u", "contact.updated", {"changes": {"attributes.has_purchased": True, "tags": ["x"]}}),
        definitions=h.index,
        now=T0,
    )
    assert snapshot.to_dict() == before


def test_applied_window_is_bounded() -> None:
    h = Harness()
    for i in range(300):
        h.apply("noise", event_id=f"n{i}")
    assert len(h.state.applied) == 256
    assert "n299" in h.state.applied
    assert "n0" not in h.state.applied


def test_state_for_another_contact_is_a_programmer_error() -> None:
    state = ContactState.empty("t1", "someone-else")
    with pytest.raises(StateError):
        step(state, event("e", "x"), definitions=DefinitionIndex(), now=T0)


def test_unknown_events_change_nothing_but_the_window() -> None:
    h = Harness(onboarding())
    effects = h.apply("something.else", {"x": 1})
    assert effects == []
    assert list(h.state.applied) == ["e1"]
