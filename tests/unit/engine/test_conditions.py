"""One row per operator and outcome, plus paths, groups and type mismatches."""

from __future__ import annotations

from typing import Any

import pytest

from streams.engine.conditions import OPERATORS, Scope, compile_condition
from streams.engine.state import Run

from .helpers import T0

PROFILE: dict[str, Any] = {
    "email": "ada@example.com",
    "source": "website_signup",
    "timezone": "Europe/London",
    "attributes": {
        "plan": "pro",
        "score": 42,
        "ratio": 0.5,
        "vip": True,
        "signup": "2025-12-30T00:00:00Z",
        "renewal_ms": T0 + 86_400_000,
        "nested": {"city": "Paris"},
        "numeric_text": "17",
    },
    "tags": ["customer", "newsletter"],
    "segments": ["seg-1"],
}
EVENT = {
    "id": "e1",
    "type": "contact.updated",
    "occurredAt": "2026-01-01T00:00:00Z",
    "data": {"amount": 99, "items": ["a"]},
}


def scope(run: Run | None = None) -> Scope:
    return Scope(PROFILE, EVENT, run, T0)


def check(field: str, operator: str, value: Any = None, *, run: Run | None = None) -> bool:
    return compile_condition({"field": field, "operator": operator, "value": value})(scope(run))


ROWS: list[tuple[str, str, Any, bool]] = [
    ("source", "equals", "website_signup", True),
    ("source", "equals", "other", False),
    ("attributes.vip", "equals", 1, False),  # a bool never equals a number
    ("attributes.score", "equals", 42.0, True),
    ("attributes.missing", "equals", None, False),
    ("source", "not_equals", "other", True),
    ("source", "not_equals", "website_signup", False),
    ("attributes.missing", "not_equals", "x", True),
    ("email", "contains", "@example", True),
    ("tags", "contains", "customer", True),
    ("tags", "contains", "churned", False),
    ("attributes.score", "contains", 4, False),  # type mismatch
    ("email", "not_contains", "@other", True),
    ("tags", "not_contains", "customer", False),
    ("attributes.missing", "not_contains", "x", True),
    ("attributes.score", "not_contains", 4, False),  # type mismatch
    ("email", "starts_with", "ada", True),
    ("email", "starts_with", "bob", False),
    ("attributes.score", "starts_with", "4", False),
    ("email", "ends_with", ".com", True),
    ("email", "ends_with", ".org", False),
    ("attributes.score", "gt", 41, True),
    ("attributes.score", "gt", 42, False),
    ("attributes.score", "gte", 42, True),
    ("attributes.score", "lt", 43, True),
    ("attributes.score", "lt", 42, False),
    ("attributes.score", "lte", 42, True),
    ("attributes.numeric_text", "gt", 10, True),  # numeric strings compare as numbers
    ("attributes.plan", "gt", 1, False),  # type mismatch
    ("attributes.vip", "gt", 0, False),  # bools are not numbers
    ("attributes.plan", "in", ["pro", "team"], True),
    ("attributes.plan", "in", ["free"], False),
    ("tags", "in", ["newsletter", "x"], True),  # any overlap
    ("attributes.plan", "in", "pro", False),  # value must be a list
    ("attributes.plan", "not_in", ["free"], True),
    ("attributes.plan", "not_in", ["pro"], False),
    ("attributes.missing", "not_in", ["pro"], True),
    ("attributes.plan", "exists", None, True),
    ("attributes.missing", "exists", None, False),
    ("attributes.missing", "not_exists", None, True),
    ("attributes.plan", "not_exists", None, False),
    ("attributes.signup", "before", "2026-01-01T00:00:00Z", True),
    ("attributes.signup", "before", "2025-01-01T00:00:00Z", False),
    ("attributes.signup", "after", "2025-12-01T00:00:00+01:00", True),
    ("attributes.renewal_ms", "after", "now", True),
    ("attributes.plan", "before", "now", False),  # not a date
    ("attributes.signup", "within_last", {"amount": 7, "unit": "days"}, True),
    ("attributes.signup", "within_last", {"amount": 1, "unit": "days"}, False),
    ("attributes.signup", "within_last", 3 * 86400, True),
    ("attributes.renewal_ms", "within_last", {"amount": 7, "unit": "days"}, False),  # future
    ("attributes.nested.city", "equals", "Paris", True),
    ("contact.email", "ends_with", "example.com", True),
    ("segments", "contains", "seg-1", True),
    ("event.type", "equals", "contact.updated", True),
    ("event.data.amount", "gte", 99, True),
    ("event.amount", "equals", 99, True),  # event.x reads event.data.x
    ("event.data.items.0", "equals", "a", True),
    ("event.data.items.5", "exists", None, False),
]


def test_every_operator_is_covered() -> None:
    assert {row[1] for row in ROWS} == set(OPERATORS)


@pytest.mark.parametrize(
    ("field", "operator", "value", "expected"), ROWS, ids=[f"{r[0]} {r[1]} {r[2]!r}" for r in ROWS]
)
def test_operator(field: str, operator: str, value: Any, expected: bool) -> None:
    assert check(field, operator, value) is expected


def test_run_context() -> None:
    run = Run("r", "wf", 1, T0, {}, variables={"score": 7, "hook": {"status": 200}}, has_opened=True)
    assert check("hasOpened", "equals", True, run=run)
    assert check("hasClicked", "equals", False, run=run)
    assert check("variables.hook.status", "equals", 200, run=run)
    assert check("score", "equals", 7, run=run)  # bare name falls back to variables
    assert not check("hasOpened", "equals", True)  # no run: missing
    assert check("hasOpened", "not_equals", True)


def test_groups_and_lists() -> None:
    yes = {"field": "source", "operator": "equals", "value": "website_signup"}
    no = {"field": "source", "operator": "equals", "value": "nope"}
    assert compile_condition([yes, yes])(scope())
    assert not compile_condition([yes, no])(scope())
    assert compile_condition({"any": [no, yes]})(scope())
    assert not compile_condition({"any": [no, no]})(scope())
    assert compile_condition({"all": [yes, {"any": [no, {"all": [yes]}]}]})(scope())
    assert compile_condition(None)(scope())
    assert compile_condition([])(scope())


@pytest.mark.parametrize(
    "spec", [42, "x", {"field": 1, "operator": "equals"}, {"field": "a", "operator": "zzz"}, {"all": 3}]
)
def test_malformed_conditions_fail_closed(spec: Any) -> None:
    assert compile_condition(spec)(scope()) is False


@pytest.mark.parametrize("value", [float("nan"), 10**400, {"a": []}, [[]], None, True])
def test_exotic_values_never_raise(value: Any) -> None:
    for operator in OPERATORS:
        for field in ("attributes.score", "attributes.signup", "tags", "attributes.missing"):
            check(field, operator, value)
