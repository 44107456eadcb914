"""Graph rules an editor can live with: sourceHandle names a branch, every branch needs an edge, an end node
has none, and problems name the node or edge they concern."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from streams.engine import Problem, compile_definition, validate
from streams.engine.model import branch_of

from .helpers import Harness, kinds, node, workflow
from .validation_cases import base


def editor_graph() -> dict[str, Any]:
    """What a React Flow editor saves: every edge has an id, handles and display fields; branches are
    named only by ``sourceHandle``; edges out of single-exit nodes carry ``sourceHandle: null``."""
    nodes = [
        node(
            "check",
            "condition",
            conditions=[{"field": "attributes.plan", "operator": "equals", "value": "pro"}],
        ),
        node("welcome-pro", "send_email", templateId="tpl-pro"),
        node("tier", "switch", field="attributes.tier", cases=[{"id": "gold", "value": "gold"}]),
        node("ab", "split", variants=[{"id": "a", "percentage": 50}, {"id": "b", "percentage": 50}]),
        node("done", "end"),
    ]

    def edge(eid: str, source: str, target: str, handle: str | None) -> dict[str, Any]:
        return {
            "id": eid,
            "source": source,
            "target": target,
            "sourceHandle": handle,
            "targetHandle": None,
            "type": "smoothstep",
            "animated": False,
        }

    edges = [
        edge("xy-trigger-check", "trigger", "check", None),
        edge("xy-check-true", "check", "welcome-pro", "true"),
        edge("xy-check-false", "check", "tier", "false"),
        edge("xy-welcome-done", "welcome-pro", "done", None),
        edge("xy-tier-gold", "tier", "ab", "gold"),
        edge("xy-tier-default", "tier", "done", "default"),
        edge("xy-ab-a", "ab", "done", "a"),
        edge("xy-ab-b", "ab", "done", "b"),
    ]
    return workflow(nodes, edges)


def test_an_editor_shaped_graph_validates_compiles_and_runs() -> None:
    definition = editor_graph()
    assert validate(definition) == []
    plan = compile_definition(definition).plan
    assert plan.nodes["check"].branches == {"true": "welcome-pro", "false": "tier"}
    assert plan.nodes["tier"].branches == {"gold": "ab", "default": "done"}
    assert plan.nodes["ab"].branches == {"a": "done", "b": "done"}

    pro = Harness(definition).create(attributes={"plan": "pro"})
    assert kinds(pro)[:4] == ["run.started", "check:completed", "send_message", "welcome-pro:completed"]
    gold = Harness(definition).create(attributes={"plan": "free", "tier": "gold"})
    assert [k for k in kinds(gold) if k.endswith(":completed")][:3] == [
        "check:completed",
        "tier:completed",
        "ab:completed",
    ]


@pytest.mark.parametrize(
    ("edge", "expected"),
    [
        ({"sourceHandle": "true"}, "true"),
        ({"branch": "false", "sourceHandle": "true"}, "false"),
        ({"label": "false", "sourceHandle": "true"}, "false"),
        ({"branch": None, "sourceHandle": "a"}, "a"),
        ({"branch": True}, "true"),
        ({"sourceHandle": None}, None),
        ({}, None),
    ],
)
def test_branch_of_reads_branch_then_label_then_source_handle(
    edge: dict[str, Any], expected: str | None
) -> None:
    assert branch_of(edge) == expected


def _end_edge(d: dict[str, Any]) -> None:
    d["edges"].append({"id": "loose", "source": "node-4", "target": "node-5"})


def _unknown_handle(d: dict[str, Any]) -> None:
    d["edges"][3].update(branch=None, sourceHandle="maybe")


def _second_exit(d: dict[str, Any]) -> None:
    d["edges"].append({"id": "again", "source": "node-1", "target": "node-3"})


def _duplicate_node(d: dict[str, Any]) -> None:
    d["nodes"][1]["id"] = "node-1"


NAMED: list[tuple[str, Callable[[dict[str, Any]], Any], str, str | None, str | None]] = [
    ("end node with an edge", _end_edge, "end_has_edges", "node-4", "loose"),
    ("unknown sourceHandle", _unknown_handle, "unknown_branch", "node-3", "e-true"),
    ("dangling branch", _unknown_handle, "missing_branch", "node-3", None),
    ("second exit of an action", _second_exit, "multiple_outgoing_edges", "node-1", "again"),
    (
        "edge to a missing node",
        lambda d: d["edges"].append({"id": "g", "source": "node-5", "target": "x"}),
        "unknown_edge_target",
        None,
        "g",
    ),
    (
        "node data problem",
        lambda d: d["nodes"][0]["data"].pop("templateId"),
        "missing_required",
        "node-1",
        None,
    ),
    (
        "unknown node type",
        lambda d: d["nodes"][1].update(type="teleport"),
        "unknown_node_type",
        "node-2",
        None,
    ),
    ("duplicate node id", _duplicate_node, "duplicate_node_id", "node-1", None),
    (
        "unreachable node",
        lambda d: d["nodes"].append(node("island", "end")),
        "unreachable_node",
        "island",
        None,
    ),
    (
        "condition node condition",
        lambda d: d["nodes"][2]["data"].update(conditions=[{"field": "x", "operator": "?"}]),
        "unknown_operator",
        "node-3",
        None,
    ),
]


@pytest.mark.parametrize(("name", "mutate", "code", "node_id", "edge_id"), NAMED, ids=[n[0] for n in NAMED])
def test_problems_name_their_node_and_edge(
    name: str, mutate: Callable[[dict[str, Any]], Any], code: str, node_id: str | None, edge_id: str | None
) -> None:
    d = base()
    mutate(d)
    found = [(p.node_id, p.edge_id) for p in validate(d) if p.code == code]
    assert found == [(node_id, edge_id)], validate(d)


def test_problems_about_the_definition_name_no_node() -> None:
    d = base()
    d["trigger"]["type"] = "telepathy"
    d["goals"].append({"id": "g2"})
    assert [(p.code, p.node_id, p.edge_id) for p in validate(d)] == [
        ("unknown_trigger_type", None, None),
        ("missing_required", None, None),
    ]


def test_problem_to_dict_carries_severity_and_the_ids_it_has() -> None:
    assert Problem("$.edges[5]", "end_has_edges", "m", "node-4", "loose").to_dict() == {
        "path": "$.edges[5]",
        "code": "end_has_edges",
        "message": "m",
        "severity": "error",
        "nodeId": "node-4",
        "edgeId": "loose",
    }
    assert Problem("$.trigger.event", "c", "m", severity="warning").to_dict() == {
        "path": "$.trigger.event",
        "code": "c",
        "message": "m",
        "severity": "warning",
    }


def test_an_end_edge_is_never_followed_in_a_stored_version() -> None:
    d = workflow([node("stop", "end"), node("after-end", "send_sms", templateId="t")])  # trigger->stop->sms
    assert [(p.path, p.code) for p in validate(d)] == [("$.edges[1]", "end_has_edges")]
    effects = Harness(d).create()
    assert kinds(effects) == ["run.started", "stop:completed", "run.completed"]


def test_huge_ids_are_not_echoed() -> None:
    d = base()
    d["nodes"][0]["id"] = "n" * 5000
    d["edges"].append({"id": "e" * 5000, "source": "node-5", "target": "ghost"})
    problems = validate(d)
    assert problems
    assert all(p.node_id is None or len(p.node_id) <= 100 for p in problems)
    assert all(p.edge_id is None for p in problems)
