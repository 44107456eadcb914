"""The validation rule table: a valid base definition (the spec's example with both branches of its
condition connected), one mutation per rule, the expected code and path."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from .helpers import node

SPEC_EXAMPLE: dict[str, Any] = {
    "id": "wf-spec",
    "tenantId": "t1",
    "name": "New User Onboarding",
    "trigger": {
        "type": "event",
        "event": "contact.created",
        "conditions": [{"field": "source", "operator": "equals", "value": "website_signup"}],
    },
    "nodes": [
        {
            "id": "node-1",
            "type": "send_email",
            "position": {"x": 100, "y": 100},
            "data": {"templateId": "550e8400", "fromName": "Acme Team", "fromEmail": "hello@acme.com"},
        },
        {
            "id": "node-2",
            "type": "delay",
            "position": {"x": 100, "y": 200},
            "data": {"duration": 86400, "unit": "seconds"},
        },
        {
            "id": "node-3",
            "type": "condition",
            "position": {"x": 100, "y": 300},
            "data": {"conditions": [{"field": "hasOpened", "operator": "equals", "value": True}]},
        },
    ],
    "edges": [
        {"source": "trigger", "target": "node-1"},
        {"source": "node-1", "target": "node-2"},
        {"source": "node-2", "target": "node-3"},
    ],
    "goals": [
        {
            "id": "goal-1",
            "name": "Purchased",
            "event": "contact.attribute_changed",
            "conditions": [{"field": "attributes.has_purchased", "operator": "equals", "value": True}],
        }
    ],
}


def spec_example() -> dict[str, Any]:
    """The specification's example as written: its condition node-3 has no outgoing edges."""
    return copy.deepcopy(SPEC_EXAMPLE)


def base() -> dict[str, Any]:
    """The spec's example with node-3's branches connected to two end nodes (nodes[3], nodes[4],
    edges[3], edges[4]): valid, so each mutation below adds exactly its own problem."""
    d = spec_example()
    d["nodes"] += [node("node-4", "end"), node("node-5", "end")]
    d["edges"] += [
        {"id": "e-true", "source": "node-3", "target": "node-4", "branch": "true"},
        {"id": "e-false", "source": "node-3", "target": "node-5", "branch": "false"},
    ]
    return d


def set_node(index: int, **changes: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(d: dict[str, Any]) -> None:
        d["nodes"][index].update(changes)

    return mutate


def set_data(index: int, data: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    return set_node(index, data=data)


def append_node(
    n: dict[str, Any], *, source: str = "node-2", branch: str | None = None
) -> Callable[[dict[str, Any]], None]:
    def mutate(d: dict[str, Any]) -> None:
        d["nodes"].append(n)
        edge = {"source": source, "target": n["id"]}
        if branch:
            edge["branch"] = branch
        # Put the new node between node-2 and node-3 so it is reachable and acyclic.
        d["edges"] = [e for e in d["edges"] if e["source"] != "node-2"]
        d["edges"] += [edge, {"source": n["id"], "target": "node-3"}] if not branch else [edge]

    return mutate


def switch_with_cases(d: dict[str, Any]) -> None:
    """A switch after node-2 whose case "b" has no edge (case "a" and default do)."""
    cases = [{"id": "a", "value": "a"}, {"id": "b", "value": "b"}]
    d["nodes"].append(node("sw", "switch", field="attributes.plan", cases=cases))
    d["edges"] = [e for e in d["edges"] if e["source"] != "node-2"]
    d["edges"] += [
        {"source": "node-2", "target": "sw"},
        {"source": "sw", "target": "node-3", "branch": "a"},
        {"source": "sw", "target": "node-3", "branch": "default"},
    ]


def split_with_variants(d: dict[str, Any]) -> None:
    """A split after node-2 whose variant "B" has no edge."""
    variants = [{"id": "A", "percentage": 50}, {"id": "B", "percentage": 50}]
    d["nodes"].append(node("sp", "split", variants=variants))
    d["edges"] = [e for e in d["edges"] if e["source"] != "node-2"]
    d["edges"] += [
        {"source": "node-2", "target": "sp"},
        {"source": "sp", "target": "node-3", "sourceHandle": "A"},
    ]


def too_many_nodes(d: dict[str, Any]) -> None:
    d["nodes"] = [node(f"n{i}", "end") for i in range(101)]
    d["edges"] = [{"source": "trigger", "target": "n0"}]


def cycle(d: dict[str, Any]) -> None:
    d["edges"].append({"source": "node-2", "target": "node-1"})
    d["edges"] = [e for e in d["edges"] if not (e["source"] == "node-2" and e["target"] == "node-3")]


CASES: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    ("too many nodes", too_many_nodes, "too_many_nodes", "$.nodes"),
    (
        "too many conditions",
        set_data(2, {"conditions": [{"field": "a", "operator": "exists"}] * 11}),
        "too_many_conditions",
        "$.nodes[2].data.conditions",
    ),
    (
        "delay over 365 days",
        set_data(1, {"duration": 366, "unit": "days"}),
        "delay_out_of_range",
        "$.nodes[1].data.duration",
    ),
    (
        "negative delay",
        set_data(1, {"duration": -1, "unit": "seconds"}),
        "delay_out_of_range",
        "$.nodes[1].data.duration",
    ),
    ("delay without unit", set_data(1, {"duration": 5}), "missing_required", "$.nodes[1].data.unit"),
    (
        "delay bad timeOfDay",
        set_data(1, {"duration": 1, "unit": "days", "timeOfDay": "25:00"}),
        "invalid_value",
        "$.nodes[1].data.timeOfDay",
    ),
    ("cycle", cycle, "cycle", "$.edges"),
    (
        "edge to unknown node",
        lambda d: d["edges"].append({"source": "node-3", "target": "ghost"}),
        "unknown_edge_target",
        "$.edges[5].target",
    ),
    (
        "edge from unknown node",
        lambda d: d["edges"].append({"source": "ghost", "target": "node-3"}),
        "unknown_edge_source",
        "$.edges[5].source",
    ),
    (
        "unreachable node",
        lambda d: d["nodes"].append(node("island", "end")),
        "unreachable_node",
        "$.nodes[5]",
    ),
    (
        "condition with one branch",
        lambda d: (d["edges"].pop(4), d["nodes"].pop(4)),
        "missing_branch",
        "$.nodes[2]",
    ),
    (
        "condition without edges (the spec's example as written)",
        lambda d: d.update(nodes=d["nodes"][:3], edges=d["edges"][:3]),
        "missing_branch",
        "$.nodes[2]",
    ),
    ("switch case without edge", switch_with_cases, "missing_branch", "$.nodes[5].data.cases[1]"),
    ("split variant without edge", split_with_variants, "missing_branch", "$.nodes[5].data.variants[1]"),
    (
        "end node with an outgoing edge",
        lambda d: d["edges"].append({"source": "node-4", "target": "node-5"}),
        "end_has_edges",
        "$.edges[5]",
    ),
    (
        "sourceHandle that is not a branch",
        lambda d: d["edges"][3].update(branch=None, sourceHandle="maybe"),
        "unknown_branch",
        "$.edges[3].sourceHandle",
    ),
    (
        "condition edge without branch",
        lambda d: (
            d["nodes"].append(node("n6", "end")),
            d["edges"].append({"source": "node-3", "target": "n6"}),
        ),
        "unknown_branch",
        "$.edges[5].branch",
    ),
    (
        "split not summing to 100",
        append_node(
            node("s", "split", variants=[{"id": "a", "percentage": 50}, {"id": "b", "percentage": 40}])
        ),
        "split_percentages",
        "$.nodes[5].data.variants",
    ),
    ("unknown node type", set_node(0, type="send_pigeon"), "unknown_node_type", "$.nodes[0].type"),
    (
        "send_email without templateId",
        set_data(0, {"fromName": "x"}),
        "missing_required",
        "$.nodes[0].data.templateId",
    ),
    (
        "send_sms without templateId",
        set_node(0, type="send_sms", data={}),
        "missing_required",
        "$.nodes[0].data.templateId",
    ),
    (
        "send_whatsapp without templateId",
        set_node(0, type="send_whatsapp", data={}),
        "missing_required",
        "$.nodes[0].data.templateId",
    ),
    (
        "send_push without templateId",
        set_node(0, type="send_push", data={}),
        "missing_required",
        "$.nodes[0].data.templateId",
    ),
    ("add_tag without tag", set_node(0, type="add_tag", data={}), "missing_required", "$.nodes[0].data.tag"),
    (
        "remove_tag without tag",
        set_node(0, type="remove_tag", data={"tag": ""}),
        "missing_required",
        "$.nodes[0].data.tag",
    ),
    (
        "add_to_segment without segmentId",
        set_node(0, type="add_to_segment", data={}),
        "missing_required",
        "$.nodes[0].data.segmentId",
    ),
    (
        "remove_from_segment without segmentId",
        set_node(0, type="remove_from_segment", data={}),
        "missing_required",
        "$.nodes[0].data.segmentId",
    ),
    (
        "update_contact without attributes",
        set_node(0, type="update_contact", data={"attributes": {}}),
        "missing_required",
        "$.nodes[0].data.attributes",
    ),
    ("webhook without url", set_node(0, type="webhook", data={}), "missing_required", "$.nodes[0].data.url"),
    (
        "webhook with ftp url",
        set_node(0, type="webhook", data={"url": "ftp://x"}),
        "invalid_value",
        "$.nodes[0].data.url",
    ),
    (
        "webhook bad method",
        set_node(0, type="webhook", data={"url": "https://x", "method": "BREW"}),
        "invalid_value",
        "$.nodes[0].data.method",
    ),
    (
        "webhook bad timeout",
        set_node(0, type="webhook", data={"url": "https://x", "timeoutMs": 0}),
        "invalid_value",
        "$.nodes[0].data.timeoutMs",
    ),
    (
        "slack without target",
        set_node(0, type="slack", data={"channel": "#x"}),
        "missing_required",
        "$.nodes[0].data",
    ),
    (
        "wait_until without until",
        set_node(1, type="wait_until", data={}),
        "missing_required",
        "$.nodes[1].data.until",
    ),
    (
        "wait_until bad until",
        set_node(1, type="wait_until", data={"until": "soon"}),
        "invalid_value",
        "$.nodes[1].data.until",
    ),
    ("condition without conditions", set_data(2, {}), "missing_required", "$.nodes[2].data.conditions"),
    (
        "switch without cases",
        append_node(node("sw", "switch", field="attributes.plan", cases=[])),
        "missing_required",
        "$.nodes[5].data.cases",
    ),
    (
        "switch without field",
        append_node(node("sw", "switch", cases=[{"value": 1}])),
        "missing_required",
        "$.nodes[5].data.field",
    ),
    (
        "switch without default",
        lambda d: (
            switch_with_cases(d),
            d["edges"].pop(-1),
            d["edges"].append({"source": "sw", "target": "node-3", "branch": "b"}),
        ),
        "missing_default_branch",
        "$.nodes[5]",
    ),
    (
        "split without variants",
        append_node(node("s", "split", variants=[])),
        "missing_required",
        "$.nodes[5].data.variants",
    ),
    (
        "unknown operator",
        set_data(2, {"conditions": [{"field": "a", "operator": "resembles", "value": 1}]}),
        "unknown_operator",
        "$.nodes[2].data.conditions[0].operator",
    ),
    (
        "in without list",
        set_data(2, {"conditions": [{"field": "a", "operator": "in", "value": 1}]}),
        "invalid_value",
        "$.nodes[2].data.conditions[0].value",
    ),
    (
        "nested group with unknown operator",
        set_data(2, {"conditions": {"any": [{"all": [{"field": "a", "operator": "nope", "value": 1}]}]}}),
        "unknown_operator",
        "$.nodes[2].data.conditions.any[0].all[0].operator",
    ),
    (
        "within_last bad value",
        set_data(
            2,
            {
                "conditions": [
                    {"field": "a", "operator": "within_last", "value": {"amount": 1, "unit": "eons"}}
                ]
            },
        ),
        "invalid_value",
        "$.nodes[2].data.conditions[0].value",
    ),
    ("duplicate node id", set_node(1, id="node-1"), "duplicate_node_id", "$.nodes[1].id"),
    ("node id 'trigger'", set_node(0, id="trigger"), "missing_required", "$.nodes[0].id"),
    (
        "unknown trigger type",
        lambda d: d["trigger"].update(type="telepathy"),
        "unknown_trigger_type",
        "$.trigger.type",
    ),
    (
        "event trigger without event",
        lambda d: d["trigger"].pop("event"),
        "missing_required",
        "$.trigger.event",
    ),
    (
        "segment_entry without segmentId",
        lambda d: d.update(trigger={"type": "segment_entry"}),
        "missing_required",
        "$.trigger.segmentId",
    ),
    (
        "segment_exit without segmentId",
        lambda d: d.update(trigger={"type": "segment_exit"}),
        "missing_required",
        "$.trigger.segmentId",
    ),
    (
        "schedule bad cron",
        lambda d: d.update(trigger={"type": "schedule", "cron": "61 * * * *", "segmentId": "s"}),
        "invalid_cron",
        "$.trigger.cron",
    ),
    (
        "schedule unknown timezone",
        lambda d: d.update(
            trigger={"type": "schedule", "cron": "0 9 * * *", "timezone": "Mars/Olympus", "segmentId": "s"}
        ),
        "unknown_timezone",
        "$.trigger.timezone",
    ),
    (
        "schedule without audience",
        lambda d: d.update(trigger={"type": "schedule", "cron": "0 9 * * *"}),
        "missing_required",
        "$.trigger.segmentId",
    ),
    (
        "trigger condition unknown operator",
        lambda d: d["trigger"].update(conditions=[{"field": "x", "operator": "zz"}]),
        "unknown_operator",
        "$.trigger.conditions[0].operator",
    ),
    ("goal without id", lambda d: d["goals"][0].pop("id"), "missing_required", "$.goals[0].id"),
    (
        "duplicate goal id",
        lambda d: d["goals"].append(copy.deepcopy(d["goals"][0])),
        "duplicate_goal_id",
        "$.goals[1].id",
    ),
    (
        "goal with bad condition",
        lambda d: d["goals"][0].update(conditions=[{"field": "x", "operator": "???"}]),
        "unknown_operator",
        "$.goals[0].conditions[0].operator",
    ),
    (
        "goal with nothing to match",
        lambda d: d["goals"].append({"id": "g2"}),
        "missing_required",
        "$.goals[1].conditions",
    ),
    (
        "bad reEntry",
        lambda d: d.update(settings={"reEntry": "sometimes"}),
        "invalid_value",
        "$.settings.reEntry",
    ),
    (
        "maxActiveRunsPerContact below 1",
        lambda d: d.update(settings={"maxActiveRunsPerContact": 0}),
        "invalid_value",
        "$.settings.maxActiveRunsPerContact",
    ),
    (
        "maxActiveRunsPerContact above the contact cap",
        lambda d: d.update(settings={"maxActiveRunsPerContact": 501}),
        "invalid_value",
        "$.settings.maxActiveRunsPerContact",
    ),
    (
        "maxActiveRunsPerContact not an integer",
        lambda d: d.update(settings={"maxActiveRunsPerContact": "10"}),
        "invalid_value",
        "$.settings.maxActiveRunsPerContact",
    ),
    (
        "bad settings timezone",
        lambda d: d.update(settings={"timezone": "Nowhere/Land"}),
        "unknown_timezone",
        "$.settings.timezone",
    ),
    ("bad version", lambda d: d.update(version=0), "invalid_type", "$.version"),
    ("bad status", lambda d: d.update(status="sleeping"), "invalid_value", "$.status"),
    (
        "two edges out of an action",
        lambda d: d["edges"].append({"source": "node-1", "target": "node-3"}),
        "multiple_outgoing_edges",
        "$.edges[5]",
    ),
]
