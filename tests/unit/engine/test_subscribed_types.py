"""Any event type triggers a run or reaches a goal; validation warns when no subscribed subject has it."""

from __future__ import annotations

from typing import Any

import pytest

from streams.engine import compile_definition, validate
from streams.engine.subscriptions import subject_matches

from .helpers import Harness, kinds, node, run_status, workflow

SUBSCRIBED = (
    "contact.created",
    "contact.updated",
    "segment.member.*",
    "pipeline.message.opened",
    "pipeline.message.clicked",
    "form.submitted",
    "events.>",
)


@pytest.mark.parametrize(
    ("pattern", "subject", "expected"),
    [
        ("contact.created", "contact.created", True),
        ("contact.created", "contact.created.x", False),
        ("contact.created", "contact", False),
        ("segment.member.*", "segment.member.added", True),
        ("segment.member.*", "segment.member", False),
        ("segment.member.*", "segment.member.added.x", False),
        ("*.created", "contact.created", True),
        ("events.>", "events.order.placed", True),
        ("events.>", "events.x", True),
        ("events.>", "events", False),
        ("events.>", "other.order.placed", False),
        (">", "anything.at.all", True),
    ],
)
def test_subject_matches(pattern: str, subject: str, expected: bool) -> None:
    assert subject_matches(pattern, subject) is expected


def on(event_type: str, *, goal: str | None = None) -> dict[str, Any]:
    goals = [{"id": "g1", "event": goal}] if goal else []
    return workflow([node("a", "end")], trigger={"type": "event", "event": event_type}, goals=goals)


@pytest.mark.parametrize(
    ("trigger", "goal", "warned"),
    [
        ("form.submitted", None, []),
        ("events.order.placed", None, []),
        ("segment.member.added", None, []),
        ("contact.attribute_changed", None, []),  # delivered as contact.updated
        ("order.placed", None, ["$.trigger.event"]),
        ("contact.deleted", None, ["$.trigger.event"]),
        ("contact.created", "invoice.paid", ["$.goals[0].event"]),
        ("contact.created", "events.invoice.paid", []),
    ],
)
def test_an_unsubscribed_type_is_a_warning_with_its_path(
    trigger: str, goal: str | None, warned: list[str]
) -> None:
    problems = validate(on(trigger, goal=goal), subscribed_types=SUBSCRIBED)
    assert [p.path for p in problems] == warned
    assert all(p.severity == "warning" and p.code == "unsubscribed_event_type" for p in problems)
    assert validate(on(trigger, goal=goal)) == []  # without a subscribed set nothing is checked
    compile_definition(on(trigger, goal=goal))  # a warning never stops a definition


def test_attribute_changed_is_unsubscribed_without_contact_updated() -> None:
    problems = validate(on("contact.attribute_changed"), subscribed_types=["contact.created"])
    assert [(p.path, p.severity) for p in problems] == [("$.trigger.event", "warning")]


def test_warnings_come_after_errors_and_do_not_hide_them() -> None:
    d = on("order.placed")
    d["nodes"][0]["type"] = "teleport"
    problems = validate(d, subscribed_types=SUBSCRIBED)
    assert [(p.code, p.severity) for p in problems] == [
        ("unknown_node_type", "error"),
        ("unsubscribed_event_type", "warning"),
    ]


@pytest.mark.parametrize("event_type", ["form.submitted", "events.order.placed", "order.placed", "x"])
def test_any_event_type_starts_a_run(event_type: str) -> None:
    assert validate(on(event_type)) == []
    h = Harness(on(event_type))
    assert kinds(h.apply(event_type, {"formId": "f"})) == ["run.started", "a:completed", "run.completed"]


@pytest.mark.parametrize("event_type", ["form.submitted", "events.order.placed"])
def test_any_event_type_reaches_a_goal(event_type: str) -> None:
    definition = workflow(
        [node("d", "delay", duration=1, unit="days")], goals=[{"id": "g1", "event": event_type}]
    )
    h = Harness(definition)
    h.create()
    assert run_status(h.apply(event_type)) == "goal_reached"


def attribute_trigger() -> dict[str, Any]:
    return workflow(
        [node("thanks", "send_email", templateId="t-thanks")],
        trigger={
            "type": "event",
            "event": "contact.attribute_changed",
            "conditions": [{"field": "attributes.has_purchased", "operator": "equals", "value": True}],
        },
    )


def test_attribute_changed_triggers_on_contact_updated_like_the_goal() -> None:
    h = Harness(attribute_trigger())
    h.create()
    assert h.apply("contact.updated", {"changes": {"attributes": {"has_purchased": False}}}) == []
    started = h.apply("contact.updated", {"changes": {"attributes": {"has_purchased": True}}})
    assert kinds(started)[:2] == ["run.started", "send_message"]


def test_attribute_changed_also_triggers_on_its_own_type() -> None:
    h = Harness(attribute_trigger())
    h.create()
    started = h.apply(
        "contact.attribute_changed", {"changes": [{"field": "attributes.has_purchased", "newValue": True}]}
    )
    assert kinds(started)[:2] == ["run.started", "send_message"]
