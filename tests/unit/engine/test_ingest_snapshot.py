"""contact.snapshot: the engine learns a contact's profile, tags and segments and starts nothing."""

from __future__ import annotations

from typing import Any

from .helpers import Harness, kinds, node, run_status, workflow

SNAPSHOT = {
    "email": "ada@example.com",
    "attributes": {"plan": "pro", "score": 7},
    "tags": ["vip"],
    "segments": ["aud"],
}
PRO = [{"field": "attributes.plan", "operator": "equals", "value": "pro"}]


def _every_trigger() -> list[dict[str, Any]]:
    """Workflows that would start on anything a snapshot might look like."""
    return [
        workflow(
            [node("a", "end")], trigger={"type": "event", "event": "contact.snapshot"}, workflow_id="w1"
        ),
        workflow([node("a", "end")], trigger={"type": "segment_entry", "segmentId": "aud"}, workflow_id="w2"),
        workflow(
            [node("a", "end")],
            trigger={"type": "event", "event": "contact.attribute_changed"},
            workflow_id="w3",
        ),
    ]


def test_a_snapshot_sets_profile_tags_and_segments() -> None:
    h = Harness()
    assert h.apply("contact.snapshot", {"contact": SNAPSHOT}) == []
    assert h.state.profile["email"] == "ada@example.com"
    assert h.state.profile["attributes"] == {"plan": "pro", "score": 7}
    assert h.state.profile["tags"] == ["vip"]
    assert h.state.profile["segments"] == ["aud"]


def test_the_data_itself_is_the_profile_without_a_contact_key() -> None:
    h = Harness()
    h.apply("contact.snapshot", SNAPSHOT)
    assert h.state.profile["attributes"]["plan"] == "pro"
    assert h.state.profile["segments"] == ["aud"]


def test_a_snapshot_starts_no_run_whatever_the_triggers() -> None:
    h = Harness(*_every_trigger())
    assert h.apply("contact.snapshot", {"contact": SNAPSHOT}) == []
    assert h.state.runs == {}
    assert h.state.profile["segments"] == ["aud"]


def test_a_snapshot_reaches_no_goal_of_a_running_run() -> None:
    waiting = workflow(
        [node("wait", "delay", duration=1, unit="days"), node("e", "end")],
        trigger={"type": "event", "event": "contact.created"},
        goals=[
            {"id": "g1", "event": "contact.snapshot"},
            {"id": "g2", "event": "contact.updated", "conditions": PRO},
        ],
    )
    h = Harness(waiting)
    h.create(email="ada@example.com")
    assert len(h.state.runs) == 1
    assert h.apply("contact.snapshot", {"contact": SNAPSHOT}) == []
    assert len(h.state.runs) == 1
    assert h.state.profile["attributes"]["plan"] == "pro"


def test_lists_absent_from_a_snapshot_keep_what_is_known() -> None:
    h = Harness()
    h.apply("contact.snapshot", {"contact": SNAPSHOT})
    h.apply("contact.snapshot", {"contact": {"email": "new@example.com", "attributes": {"plan": "free"}}})
    assert h.state.profile["email"] == "new@example.com"
    assert h.state.profile["attributes"] == {"plan": "free"}
    assert h.state.profile["tags"] == ["vip"]
    assert h.state.profile["segments"] == ["aud"]
    h.apply("contact.snapshot", {"contact": {"tags": [], "segments": ["other"]}})
    assert h.state.profile["tags"] == []
    assert h.state.profile["segments"] == ["other"]


def test_a_schedule_tick_reaches_an_imported_member_and_sees_its_attributes() -> None:
    scheduled = workflow(
        [node("c", "condition", conditions=PRO), node("yes", "end"), node("no", "end")],
        [
            {"source": "trigger", "target": "c"},
            {"source": "c", "target": "yes", "sourceHandle": "true"},
            {"source": "c", "target": "no", "sourceHandle": "false"},
        ],
        trigger={"type": "schedule", "cron": "0 9 * * *", "segmentId": "aud"},
    )
    h = Harness(scheduled)
    h.apply("contact.snapshot", {"contact": SNAPSHOT})
    effects = h.apply("workflow.schedule.tick", {"workflowId": "wf1", "version": 1}, event_id="tick:1")
    assert "run.started" in kinds(effects)
    assert "yes:completed" in kinds(effects)
    assert run_status(effects) == "completed"


def test_a_condition_on_an_imported_attribute_is_true_on_the_first_event() -> None:
    branching = workflow(
        [node("c", "condition", conditions=PRO), node("yes", "end"), node("no", "end")],
        [
            {"source": "trigger", "target": "c"},
            {"source": "c", "target": "yes", "sourceHandle": "true"},
            {"source": "c", "target": "no", "sourceHandle": "false"},
        ],
        trigger={"type": "event", "event": "order.placed"},
    )
    h = Harness(branching)
    h.apply("contact.snapshot", {"contact": SNAPSHOT})
    effects = h.apply("order.placed", {"orderId": "o1"})
    assert "yes:completed" in kinds(effects)
    assert "no:completed" not in kinds(effects)
