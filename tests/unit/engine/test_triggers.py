"""Trigger types and re-entry modes."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import T0, Harness, node, only, run_status, workflow


# -- re-entry ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("mode", "while_active", "after_finish"),
    [("always", True, True), ("not_while_active", False, True), ("once", False, False)],
)
def test_re_entry(mode: str, while_active: bool, after_finish: bool) -> None:
    h = Harness(
        workflow(
            [node("d", "delay", duration=1, unit="days")],
            trigger={"type": "event", "event": "ping"},
            settings={"reEntry": mode},
        )
    )
    timer = only(h.apply("ping"), "schedule_timer")
    assert bool(h.apply("ping")) is while_active
    for other in [e for e in h.all_effects if e.kind == "schedule_timer"]:
        h.fire(other)
    assert not h.state.runs
    del timer
    assert bool(h.apply("ping")) is after_finish


# -- triggers ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("trigger", "kind", "data", "profile", "starts"),
    [
        ({"type": "segment_entry", "segmentId": "s1"}, "segment.member.added", {"segmentId": "s1"}, {}, True),
        (
            {"type": "segment_entry", "segmentId": "s1"},
            "segment.member.added",
            {"segmentId": "s2"},
            {},
            False,
        ),
        (
            {"type": "segment_exit", "segmentId": "s1"},
            "segment.member.removed",
            {"segmentId": "s1"},
            {"segments": ["s1"]},
            True,
        ),
        ({"type": "segment_exit", "segmentId": "s1"}, "segment.member.added", {"segmentId": "s1"}, {}, False),
        (
            {"type": "webhook"},
            "workflow.trigger.webhook",
            {"workflowId": "wf1", "payload": {"a": 1}},
            {},
            True,
        ),
        ({"type": "webhook"}, "workflow.trigger.webhook", {"workflowId": "other"}, {}, False),
        (
            {
                "type": "webhook",
                "conditions": [{"field": "event.payload.a", "operator": "equals", "value": 2}],
            },
            "workflow.trigger.webhook",
            {"workflowId": "wf1", "payload": {"a": 1}},
            {},
            False,
        ),
        ({"type": "manual"}, "workflow.trigger.manual", {"workflowId": "wf1"}, {}, True),
        (
            {"type": "event", "event": "contact.created"},
            "workflow.trigger.manual",
            {"workflowId": "wf1"},
            {},
            True,
        ),
        (
            {"type": "schedule", "cron": "0 9 * * *", "segmentId": "aud"},
            "workflow.schedule.tick",
            {"workflowId": "wf1", "version": 1, "tickAt": T0},
            {"segments": ["aud"]},
            True,
        ),
        (
            {"type": "schedule", "cron": "0 9 * * *", "segmentId": "aud"},
            "workflow.schedule.tick",
            {"workflowId": "wf1", "tickAt": T0},
            {"segments": []},
            False,
        ),
        (
            {"type": "schedule", "cron": "0 9 * * *", "segmentId": "aud"},
            "workflow.schedule.tick",
            {"workflowId": "wf1", "version": 9},
            {"segments": ["aud"]},
            False,
        ),
        (
            {
                "type": "event",
                "event": "contact.updated",
                "conditions": [{"field": "attributes.plan", "operator": "equals", "value": "pro"}],
            },
            "contact.updated",
            {"changes": [{"field": "attributes.plan", "newValue": "pro"}]},
            {},
            True,
        ),
        (
            {
                "type": "event",
                "event": "contact.updated",
                "conditions": [{"field": "attributes.plan", "operator": "equals", "value": "pro"}],
            },
            "contact.updated",
            {"changes": {"attributes": {"plan": "free"}}},
            {},
            False,
        ),
        ({"type": "event", "event": "order.placed"}, "order.placed", {}, {}, True),
    ],
)
def test_trigger(
    trigger: dict[str, Any], kind: str, data: dict[str, Any], profile: dict[str, Any], starts: bool
) -> None:
    h = Harness(workflow([node("a", "end")], trigger=trigger), profile=profile)
    effects = h.apply(kind, data)
    assert (run_status(effects) == "completed") is starts


@pytest.mark.parametrize("status", ["draft", "paused", "archived"])
def test_inactive_workflows_never_start(status: str) -> None:
    h = Harness(workflow([node("a", "end")], status=status))
    assert h.create() == []
    assert h.apply("workflow.trigger.manual", {"workflowId": "wf1"}) == []


def test_schedule_tick_runs_once_per_tick() -> None:
    h = Harness(
        workflow([node("a", "end")], trigger={"type": "schedule", "cron": "0 9 * * *", "segmentId": "aud"}),
        profile={"segments": ["aud"]},
    )
    assert h.apply("workflow.schedule.tick", {"workflowId": "wf1"}, event_id="tick:wf1:1") != []
    assert h.apply("workflow.schedule.tick", {"workflowId": "wf1"}, event_id="tick:wf1:1") == []
    assert h.apply("workflow.schedule.tick", {"workflowId": "wf1"}, event_id="tick:wf1:2") != []


def test_manual_trigger_of_another_tenant_is_ignored() -> None:
    other = workflow([node("a", "end")])
    other["tenantId"] = "t2"
    h = Harness(other)
    assert h.apply("workflow.trigger.manual", {"workflowId": "wf1"}) == []
