"""Run events carry what a platform consumer needs without reading the definition: the workflow and its
version, the run, the trigger type and, when a goal ended the run, the goal's id and name."""

from __future__ import annotations

from typing import Any

import pytest

from streams.engine import EmitRunEvent
from tests.unit.engine.helpers import Harness, node, run_id, workflow

GOAL = {
    "id": "goal-1",
    "name": "Purchased",
    "event": "contact.updated",
    "conditions": [{"field": "attributes.has_purchased", "operator": "equals", "value": True}],
}


def _run_events(effects: list[Any]) -> list[EmitRunEvent]:
    return [e for e in effects if isinstance(e, EmitRunEvent)]


def test_every_run_event_names_workflow_version_run_and_trigger_type() -> None:
    h = Harness(workflow([node("mail", "send_email", templateId="t1")], version=3))
    events = _run_events(h.create(email="a@b.test"))
    assert [e.event_type for e in events] == [
        "workflow.run.started",
        "workflow.node.executed",
        "workflow.run.completed",
    ]
    for e in events:
        assert e.run["workflowId"] == "wf1"
        assert e.run["version"] == 3
        assert e.run["runId"] == run_id("created")
        assert e.run["triggerType"] == "event"
        assert "goalId" not in e.run  # only a goal-reached run names a goal


@pytest.mark.parametrize(
    ("trigger", "kind", "expected"),
    [
        ({"type": "segment_entry", "segmentId": "s1"}, "segment.member.added", "segment_entry"),
        ({"type": "segment_exit", "segmentId": "s1"}, "segment.member.removed", "segment_exit"),
    ],
)
def test_the_trigger_type_is_the_workflows(trigger: dict[str, Any], kind: str, expected: str) -> None:
    h = Harness(workflow([node("mail", "send_email", templateId="t1")], trigger=trigger))
    events = _run_events(h.apply(kind, {"segmentId": "s1"}))
    assert events, "the trigger started no run"
    assert {e.run["triggerType"] for e in events} == {expected}


def test_a_goal_reached_event_names_the_goal() -> None:
    h = Harness(workflow([node("wait", "delay", duration=1, unit="days")], goals=[GOAL]))
    h.create(email="a@b.test")
    effects = h.apply("contact.updated", {"changes": {"attributes": {"has_purchased": True}}})
    (reached,) = [e for e in _run_events(effects) if e.event_type == "workflow.run.goal_reached"]
    assert reached.run["goalId"] == "goal-1"
    assert reached.run["goalName"] == "Purchased"
    assert reached.run["goalReachedId"] == "goal-1"  # the projector's field stays
    assert reached.run["triggerType"] == "event"


def test_a_goal_without_a_name_has_a_null_name() -> None:
    h = Harness(workflow([node("wait", "delay", duration=1, unit="days")], goals=[{**GOAL, "name": None}]))
    h.create(email="a@b.test")
    effects = h.apply("contact.updated", {"changes": {"attributes": {"has_purchased": True}}})
    (reached,) = [e for e in _run_events(effects) if e.event_type == "workflow.run.goal_reached"]
    assert (reached.run["goalId"], reached.run["goalName"]) == ("goal-1", None)
