"""One case per validation rule (see validation_cases), plus robustness and the model round trip."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from streams.engine import DefinitionError, WorkflowDefinition, compile_definition, validate
from streams.engine.graph import GRAPH_COMPLETENESS_CODES

from .helpers import node, workflow
from .validation_cases import CASES, base, spec_example


def test_base_is_valid() -> None:
    assert validate(base()) == []
    definition = compile_definition(base())
    assert isinstance(definition, WorkflowDefinition)
    assert definition.plan.start == "node-1"
    assert definition.plan.nodes["node-1"].next == "node-2"
    assert definition.plan.nodes["node-3"].branches == {"true": "node-4", "false": "node-5"}


def test_spec_example_as_written_is_refused_for_writing_but_still_compiles() -> None:
    # Its condition has no edges: an editor must show both dangling branches on node-3. A version stored
    # before this rule still loads in the worker (a run ends after the condition, as it always did).
    problems = validate(spec_example())
    assert [(p.path, p.code, p.node_id) for p in problems] == [
        ("$.nodes[2]", "missing_branch", "node-3"),
        ("$.nodes[2]", "missing_branch", "node-3"),
    ]
    assert "'true'" in problems[0].message
    assert "'false'" in problems[1].message
    assert compile_definition(spec_example()).plan.nodes["node-3"].branches == {}


@pytest.mark.parametrize(("name", "mutate", "code", "path"), CASES, ids=[c[0] for c in CASES])
def test_rule(name: str, mutate: Callable[[dict[str, Any]], Any], code: str, path: str) -> None:
    d = base()
    mutate(d)
    problems = validate(d)
    assert (path, code) in {(p.path, p.code) for p in problems}, problems
    assert all(p.severity == "error" for p in problems)
    if code in GRAPH_COMPLETENESS_CODES:
        compile_definition(d)  # refused where definitions are written; stored versions keep loading
        return
    with pytest.raises(DefinitionError) as info:
        compile_definition(d)
    assert any(p.code == code for p in info.value.problems)


def test_every_problem_at_once() -> None:
    d = base()
    d["nodes"][0]["data"] = {}
    d["nodes"][1]["data"] = {"duration": 999, "unit": "days"}
    d["nodes"].append(node("island", "teleport"))
    codes = {p.code for p in validate(d)}
    assert {"missing_required", "delay_out_of_range", "unknown_node_type", "unreachable_node"} <= codes


@pytest.mark.parametrize(
    "junk",
    [
        None,
        1,
        "x",
        [],
        {"nodes": "x"},
        {"nodes": [1, None, {"id": 3}]},
        {"edges": [None, {"source": 1}]},
        {"trigger": []},
        {"goals": [1], "settings": 3},
        {"nodes": [{"id": "a", "type": "split", "data": {"variants": [1, {"id": None}]}}]},
        {
            "nodes": [{"id": "a", "type": "switch", "data": {"field": "x", "cases": [1]}}],
            "edges": [{"source": "a", "target": "a", "branch": {}}],
        },
    ],
)
def test_validate_never_raises(junk: Any) -> None:
    problems = validate(junk)
    assert problems
    assert all(p.code and p.path.startswith("$") and p.message for p in problems)


def test_compile_requires_identity_but_validate_does_not() -> None:
    d = base()
    del d["id"], d["tenantId"]
    assert validate(d) == []
    with pytest.raises(DefinitionError) as info:
        compile_definition(d)
    assert {p.path for p in info.value.problems} == {"$.id", "$.tenantId"}


def test_valid_branching_nodes() -> None:
    d = workflow(
        [
            node("c", "condition", conditions={"all": [{"field": "x", "operator": "exists"}]}),
            node(
                "sw",
                "switch",
                field="attributes.plan",
                cases=[{"value": "pro"}, {"id": "free-case", "value": "free"}],
            ),
            node(
                "sp", "split", variants=[{"id": "A", "percentage": 33.33}, {"id": "B", "percentage": 66.67}]
            ),
            node("e1", "end"),
            node("e2", "end"),
            node("e3", "end"),
        ],
        [
            {"source": "trigger", "target": "c"},
            {"source": "c", "target": "sw", "label": "true"},
            {"source": "c", "target": "e1", "branch": False},
            {"source": "sw", "target": "sp", "branch": "pro"},
            {"source": "sw", "target": "e2", "branch": "free-case"},
            {"source": "sw", "target": "e2", "branch": "default"},
            {"source": "sp", "target": "e3", "branch": "A"},
            {"source": "sp", "target": "e3", "branch": "B"},
        ],
    )
    assert validate(d) == []
    plan = compile_definition(d).plan
    assert plan.nodes["c"].branches == {"true": "sw", "false": "e1"}
    assert plan.nodes["sp"].branches == {"A": "e3", "B": "e3"}


def test_schedule_and_webhook_triggers_are_valid() -> None:
    sched = workflow(
        [node("a", "end")],
        trigger={
            "type": "schedule",
            "cron": "0 9 * * mon-fri",
            "timezone": "Europe/Berlin",
            "audience": {"segmentId": "s1"},
        },
    )
    hook = workflow([node("a", "end")], trigger={"type": "webhook"})
    manual = workflow([node("a", "end")], trigger={"type": "manual"})
    assert validate(sched) == validate(hook) == validate(manual) == []


def test_model_camel_case_round_trip() -> None:
    d = base()
    d["settings"] = {"reEntry": "once", "timezone": "Europe/Paris"}
    definition = compile_definition(d)
    assert definition.tenant_id == "t1"
    assert definition.settings.re_entry == "once"
    dumped = definition.model_dump(by_alias=True, exclude_none=True)
    assert dumped["tenantId"] == "t1"
    assert dumped["settings"]["reEntry"] == "once"
    assert WorkflowDefinition.parse(d).plan.re_entry == "once"
