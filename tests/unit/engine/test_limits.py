"""Definition caps: each breaks validation with its JSON path and a stable code."""

from __future__ import annotations

from typing import Any

import pytest

from streams.engine import validate
from streams.engine.limits import (
    MAX_ACTION_TIMEOUT_MS,
    MAX_DEFINITION_BYTES,
    MAX_GOAL_CONDITIONS,
    MAX_GOALS,
    MAX_NODE_DATA_BYTES,
    MAX_TIMEOUT_MS,
    MAX_TRIGGER_CONDITIONS,
)

from .helpers import node, workflow


def leaf(i: int) -> dict[str, Any]:
    return {"field": "contact.attributes.plan", "operator": "equals", "value": f"p{i}"}


def codes(definition: dict[str, Any]) -> set[tuple[str, str]]:
    return {(p.path, p.code) for p in validate(definition)}


def tagged(**kw: Any) -> dict[str, Any]:
    return workflow([node("tag", "add_tag", tag="x")], **kw)


def test_5000_trigger_conditions_are_refused() -> None:
    trigger = {"type": "event", "event": "contact.created", "conditions": [leaf(i) for i in range(5000)]}
    assert codes(tagged(trigger=trigger)) == {("$.trigger.conditions", "too_many_conditions")}


@pytest.mark.parametrize(
    ("count", "ok"), [(MAX_TRIGGER_CONDITIONS, True), (MAX_TRIGGER_CONDITIONS + 1, False)]
)
def test_trigger_conditions_cap_counts_leaves_in_groups(count: int, ok: bool) -> None:
    half = count // 2
    spec = {"any": [{"all": [leaf(i) for i in range(half)]}, *[leaf(i) for i in range(count - half)]]}
    trigger = {"type": "event", "event": "contact.created", "conditions": spec}
    assert codes(tagged(trigger=trigger)) == (
        set() if ok else {("$.trigger.conditions", "too_many_conditions")}
    )


def test_goal_conditions_are_capped_per_goal() -> None:
    goals = [
        {"id": "g1", "conditions": [leaf(i) for i in range(MAX_GOAL_CONDITIONS)]},
        {"id": "g2", "conditions": [leaf(i) for i in range(MAX_GOAL_CONDITIONS + 1)]},
    ]
    assert codes(tagged(goals=goals)) == {("$.goals[1].conditions", "too_many_conditions")}


def test_goals_are_capped() -> None:
    def goals(n: int) -> list[dict[str, Any]]:
        return [{"id": f"g{i}", "event": "pipeline.message.clicked"} for i in range(n)]

    assert codes(tagged(goals=goals(MAX_GOALS))) == set()
    assert codes(tagged(goals=goals(MAX_GOALS + 1))) == {("$.goals", "too_many_goals")}


def test_node_data_is_capped() -> None:
    body = {"blob": "x" * MAX_NODE_DATA_BYTES}
    definition = workflow(
        [node("ok", "add_tag", tag="x"), node("hook", "webhook", url="https://api.example.com/x", body=body)]
    )
    assert codes(definition) == {("$.nodes[1].data", "node_data_too_large")}


def test_the_whole_definition_is_capped() -> None:
    # Every node is under the node cap; together they are over the definition cap.
    each = MAX_NODE_DATA_BYTES - 1000
    count = MAX_DEFINITION_BYTES // each + 1
    nodes = [node(f"n{i}", "add_tag", tag="x", note="y" * each) for i in range(count)]
    assert codes(workflow(nodes)) == {("$", "definition_too_large")}


def test_conditions_nest_at_most_a_few_groups_deep() -> None:
    spec: Any = leaf(0)
    for _ in range(20):
        spec = {"all": [spec]}
    trigger = {"type": "event", "event": "contact.created", "conditions": spec}
    problems = codes(tagged(trigger=trigger))
    assert {code for _path, code in problems} == {"conditions_too_deep"}


def test_a_definition_nested_past_the_recursion_limit_is_one_problem() -> None:
    spec: Any = leaf(0)
    for _ in range(5000):
        spec = {"all": [spec]}
    trigger = {"type": "event", "event": "contact.created", "conditions": spec}
    assert codes(tagged(trigger=trigger)) == {("$", "definition_too_large")}


@pytest.mark.parametrize(
    ("key", "value", "code"),
    [
        ("timeoutMs", MAX_TIMEOUT_MS, None),
        ("timeoutMs", MAX_TIMEOUT_MS + 1, "timeout_out_of_range"),
        ("timeoutMs", 0, "invalid_value"),
        ("timeoutMs", -5, "invalid_value"),
        ("timeoutMs", "5000", "invalid_value"),
        ("timeoutMs", True, "invalid_value"),
        ("timeoutMs", 1.5, "invalid_value"),
        ("actionTimeoutMs", MAX_ACTION_TIMEOUT_MS, None),
        ("actionTimeoutMs", MAX_ACTION_TIMEOUT_MS + 1, "timeout_out_of_range"),
        ("actionTimeoutMs", 10**15, "timeout_out_of_range"),
    ],
)
@pytest.mark.parametrize("kind", ["webhook", "slack"])
def test_timeouts_are_positive_and_bounded(kind: str, key: str, value: Any, code: str | None) -> None:
    data: dict[str, Any] = (
        {"url": "https://api.example.com/x"}
        if kind == "webhook"
        else {"webhookUrl": "https://hooks.slack.com/services/T/B/X", "message": "hi"}
    )
    data[key] = value
    expected = set() if code is None else {(f"$.nodes[0].data.{key}", code)}
    assert codes(workflow([node("n", kind, **data)])) == expected
