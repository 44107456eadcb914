"""The trigger index narrows the triggers to evaluate without changing which match: for random triggers
(equals, in, starts_with, contains, any groups of
them, and leaves it cannot file) and random event data, the triggers among the
candidates that match are exactly the triggers that match, in index order."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from streams.engine import compile_definition
from streams.engine.conditions import Scope
from streams.engine.matching import TriggerMatcher
from streams.engine.model import Plan

from .helpers import TENANT

VALUES = st.one_of(
    st.sampled_from(["a", "ab", "abc", "b", "", "1"]), st.integers(-1, 2), st.booleans(), st.just(1.0)
)
FIELDS = st.sampled_from(["event.data.x", "event.data.y", "attributes.plan"])


def leaf() -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        st.builds(lambda f, v: {"field": f, "operator": "equals", "value": v}, FIELDS, VALUES),
        st.builds(
            lambda f, v: {"field": f, "operator": "in", "value": v}, FIELDS, st.lists(VALUES, max_size=3)
        ),
        st.builds(
            lambda f, v: {"field": f, "operator": "starts_with", "value": v},
            FIELDS,
            st.sampled_from(["", "a", "ab", "b"]),
        ),
        st.builds(
            lambda f, v: {"field": f, "operator": "contains", "value": v}, FIELDS, st.sampled_from(["b", "a"])
        ),
        st.builds(lambda f, v: {"field": f, "operator": "not_equals", "value": v}, FIELDS, VALUES),
    )


def any_group() -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(lambda items: {"any": items}, st.lists(leaf(), min_size=1, max_size=3))


CONDITIONS = st.one_of(
    st.none(),
    st.lists(leaf(), min_size=1, max_size=3),
    st.builds(lambda items: {"all": items}, st.lists(leaf(), min_size=1, max_size=3)),
    any_group(),
    # An any group beside required leaves (filed under each of its members when no leaf narrows more).
    st.builds(lambda items: {"all": items}, st.lists(st.one_of(leaf(), any_group()), min_size=1, max_size=3)),
)
DATA_VALUES = st.one_of(
    VALUES, st.lists(VALUES, max_size=3), st.dictionaries(st.sampled_from(["a", "b"]), VALUES), st.none()
)


def _plan(workflow_id: str, conditions: Any) -> Plan:
    return compile_definition(
        {
            "id": workflow_id,
            "tenantId": TENANT,
            "status": "active",
            "trigger": {"type": "event", "event": "go", "conditions": conditions},
            "nodes": [{"id": "a", "type": "end", "data": {}}],
            "edges": [{"source": "trigger", "target": "a"}],
        }
    ).plan


@settings(max_examples=600, deadline=None)
@given(
    st.lists(CONDITIONS, min_size=1, max_size=8),
    st.dictionaries(st.sampled_from(["x", "y"]), DATA_VALUES),
    DATA_VALUES,
)
def test_the_candidates_that_match_are_the_triggers_that_match(
    conditions: list[Any], data: dict[str, Any], plan_value: Any
) -> None:
    plans = [_plan(f"w{i}", c) for i, c in enumerate(conditions)]
    profile = {"attributes": {"plan": plan_value}}
    scope = Scope(profile, {"type": "go", "data": data}, None, 0, contact_id="c1")
    expected = [p.workflow_id for p in plans if p.trigger_predicate(scope)]
    candidates = TriggerMatcher(plans).candidates(scope)
    assert len({id(p) for p in candidates}) == len(candidates)  # each once
    assert [p.workflow_id for p in candidates if p.trigger_predicate(scope)] == expected


def test_an_any_group_files_its_trigger_under_each_member_and_lists_it_once() -> None:
    texts = _plan(
        "texts", {"any": [{"field": "event.data.x", "operator": "contains", "value": v} for v in "ab"]}
    )
    keys = _plan(
        "keys",
        [
            {"field": "attributes.plan", "operator": "in", "value": ["free", "pro"]},
            {
                "any": [
                    {"field": "event.data.x", "operator": "equals", "value": "zz"},
                    {"field": "event.data.y", "operator": "equals", "value": True},
                ]
            },
        ],
    )
    matcher = TriggerMatcher([texts, keys])
    profile = {"attributes": {"plan": "free"}}

    def candidates(data: dict[str, Any]) -> list[str]:
        return [
            p.workflow_id for p in matcher.candidates(Scope(profile, {"type": "go", "data": data}, None, 0))
        ]

    assert candidates({"x": "ab"}) == ["texts"]  # both texts match: listed once
    assert candidates({"x": "zz"}) == ["keys"]
    assert candidates({"x": "q", "y": True}) == ["keys"]
    assert candidates({"x": "zzb", "y": True}) == ["texts", "keys"]
    assert candidates({"x": "q"}) == []  # filed under its any group, not under the wide in-list
