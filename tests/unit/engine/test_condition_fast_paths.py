"""Leaves with a fast path (a string compared in place, a flag by identity, event data read directly)
agree with the general operators on every kind of value."""

from __future__ import annotations

from typing import Any

import pytest

from streams.engine.conditions import MISSING, OPERATORS, Scope, compile_condition

_VALUES = [
    "pro",
    "free",
    "",
    "camp-1",
    "xcamp-1y",
    1,
    1.0,
    0,
    True,
    False,
    None,
    ["pro"],
    {"pro": 1},
    MISSING,
]


@pytest.mark.parametrize(
    "spec",
    [
        {"field": "event.data.v", "operator": "equals", "value": "pro"},
        {"field": "attributes.v", "operator": "equals", "value": "pro"},
        {"field": "event.data.v", "operator": "equals", "value": True},
        {"field": "attributes.v", "operator": "equals", "value": False},
        {"field": "event.data.v", "operator": "in", "value": ["pro", "free"]},
        {"field": "attributes.v", "operator": "in", "value": ["pro", ""]},
        {"field": "event.data.v", "operator": "contains", "value": "camp-1"},
        {"field": "event.data.v", "operator": "starts_with", "value": "camp"},
        {"field": "attributes.v", "operator": "contains", "value": "pro"},
    ],
)
def test_fast_leaves_agree_with_the_operators(spec: dict[str, Any]) -> None:
    predicate = compile_condition(spec)
    op = OPERATORS[spec["operator"]]
    for value in _VALUES:
        present = {} if value is MISSING else {"v": value}
        scope = Scope({"attributes": present}, {"type": "t", "data": present}, None, 0)
        try:
            expected = op(value, spec["value"], 0)
        except (TypeError, ValueError):
            expected = False
        assert predicate(scope) is expected, (spec, value)


def test_event_data_leaves_without_data() -> None:
    for spec in (
        {"field": "event.data.v", "operator": "equals", "value": True},
        {"field": "event.data.v", "operator": "contains", "value": "x"},
    ):
        assert compile_condition(spec)(Scope({}, {"type": "t"}, None, 0)) is False
        assert compile_condition(spec)(Scope({}, {"type": "t", "data": ["v"]}, None, 0)) is False
