"""Validation of a workflow definition as raw JSON: every problem at once, never an exception.

Each problem has a JSON path (``$.nodes[2].data.templateId``), a stable snake_case ``code`` and a message.
Codes: not_an_object, invalid_type, missing_required, invalid_value, unknown_trigger_type, invalid_cron,
unknown_timezone, too_many_nodes, duplicate_node_id, unknown_node_type, too_many_conditions,
delay_out_of_range, invalid_condition, unknown_operator, unknown_edge_source, unknown_edge_target,
multiple_outgoing_edges, missing_branch, unknown_branch, missing_default_branch, split_percentages, cycle,
unreachable_node, duplicate_goal_id, and for the caps of ``limits``: definition_too_large,
node_data_too_large, too_many_goals, too_many_conditions (trigger, goal, condition node), conditions_too_deep,
timeout_out_of_range.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from streams.engine.cron import CronError, CronSchedule
from streams.engine.limits import (
    MAX_CONDITIONS,
    MAX_DEFINITION_BYTES,
    MAX_DELAY_SECONDS,
    MAX_GOAL_CONDITIONS,
    MAX_GOALS,
    MAX_NODE_DATA_BYTES,
    MAX_NODES,
    MAX_TRIGGER_CONDITIONS,
)
from streams.engine.model import BRANCHING_TYPES, NODE_TYPES, START, TRIGGER_TYPES, branch_of
from streams.engine.rules import (
    Collector,
    Problem,
    check_condition,
    check_conditions_capped,
    check_node_data,
    nonempty_str,
    switch_keys,
)
from streams.engine.timeutil import zone

__all__ = ["MAX_CONDITIONS", "MAX_DELAY_SECONDS", "MAX_NODES", "Problem", "check_condition", "validate"]

MAX_NODE_ID_LENGTH: Final = 100  # currentNodeId is VARCHAR(100)
_STATUSES: Final = frozenset({"draft", "active", "paused", "archived"})
_RE_ENTRY: Final = frozenset({"always", "not_while_active", "once"})


def validate(definition: Any) -> list[Problem]:
    """Every problem of a definition (an empty list when it is valid). ``id`` and ``tenantId`` are optional
    here (drafts have none yet) but type-checked when present; ``compile_definition`` requires them."""
    out = Collector()
    if not isinstance(definition, dict):
        out.add("$", "not_an_object", "a workflow definition must be a JSON object")
        return out.problems
    total = json_bytes(definition)
    if total is None or total > MAX_DEFINITION_BYTES:
        # Nothing else is looked at: a definition this large costs the API and every worker to validate.
        got = "nests too deeply to serialize" if total is None else f"is {total} bytes"
        out.add(
            "$", "definition_too_large", f"a definition is at most {MAX_DEFINITION_BYTES} bytes; it {got}"
        )
        return out.problems
    _check_header(definition, out)
    _check_trigger(definition.get("trigger"), out)
    nodes = _check_nodes(definition.get("nodes", []), out)
    _check_edges(definition.get("edges", []), nodes, out)
    _check_goals(definition.get("goals", []), out)
    _check_settings(definition.get("settings", {}), out)
    return out.problems


def json_bytes(value: Any) -> int | None:
    """Size as compact UTF-8 JSON (what the API receives and the outbox publishes); None when the value
    nests too deeply to serialize."""
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    except (RecursionError, ValueError):
        return None
    return len(text.encode())


def _check_header(d: dict[str, Any], out: Collector) -> None:
    for key in ("id", "tenantId", "name"):
        if key in d and not isinstance(d[key], str):
            out.add(f"$.{key}", "invalid_type", f"{key} must be a string")
    version = d.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        out.add("$.version", "invalid_type", "version must be an integer >= 1")
    if d.get("status", "draft") not in _STATUSES:
        out.add("$.status", "invalid_value", f"status must be one of {sorted(_STATUSES)}")


def _check_trigger(trigger: Any, out: Collector) -> None:
    path = "$.trigger"
    if not isinstance(trigger, dict):
        out.add(path, "missing_required", "a workflow needs a trigger object")
        return
    kind = trigger.get("type")
    if kind not in TRIGGER_TYPES:
        out.add(
            f"{path}.type", "unknown_trigger_type", f"trigger type must be one of {sorted(TRIGGER_TYPES)}"
        )
    if kind == "event" and not nonempty_str(trigger.get("event")):
        out.add(f"{path}.event", "missing_required", "an event trigger needs the event type")
    if kind in ("segment_entry", "segment_exit") and not nonempty_str(trigger.get("segmentId")):
        out.add(f"{path}.segmentId", "missing_required", f"a {kind} trigger needs segmentId")
    if kind == "schedule":
        cron = trigger.get("cron")
        if not isinstance(cron, str):
            out.add(f"{path}.cron", "missing_required", "a schedule trigger needs a cron expression")
        else:
            try:
                CronSchedule.parse(cron)
            except CronError as exc:
                out.add(f"{path}.cron", "invalid_cron", f"invalid cron expression: {exc}")
        tz = trigger.get("timezone", "UTC")
        if not isinstance(tz, str) or zone(tz) is None:
            out.add(f"{path}.timezone", "unknown_timezone", f"unknown IANA time zone {tz!r}")
        audience = trigger.get("audience")
        segment = audience.get("segmentId") if isinstance(audience, dict) else trigger.get("segmentId")
        if not nonempty_str(segment):
            out.add(f"{path}.segmentId", "missing_required", "a schedule trigger needs an audience segmentId")
    if "token" in trigger and trigger["token"] is not None and not isinstance(trigger["token"], str):
        out.add(f"{path}.token", "invalid_type", "token must be a string")
    if trigger.get("conditions") is not None:
        check_conditions_capped(trigger["conditions"], f"{path}.conditions", out, cap=MAX_TRIGGER_CONDITIONS)


@dataclass(slots=True)
class _Nodes:
    """The well-formed nodes, for the edge checks: id -> type, data and index in the nodes list."""

    types: dict[str, str]
    data: dict[str, Any]
    index: dict[str, int]


def _check_nodes(nodes: Any, out: Collector) -> _Nodes:
    info = _Nodes({}, {}, {})
    types = info.types
    if not isinstance(nodes, list):
        out.add("$.nodes", "invalid_type", "nodes must be a list")
        return info
    if len(nodes) > MAX_NODES:
        out.add("$.nodes", "too_many_nodes", f"a workflow has at most {MAX_NODES} nodes, got {len(nodes)}")
    for i, node in enumerate(nodes):
        path = f"$.nodes[{i}]"
        if not isinstance(node, dict):
            out.add(path, "invalid_type", "a node must be an object")
            continue
        node_id, kind = node.get("id"), node.get("type")
        if not nonempty_str(node_id) or node_id == START or len(node_id) > MAX_NODE_ID_LENGTH:
            out.add(f"{path}.id", "missing_required", "a node needs an id (1-100 chars, not 'trigger')")
            node_id = None
        elif node_id in types:
            out.add(f"{path}.id", "duplicate_node_id", f"node id {node_id!r} is used twice")
            node_id = None
        if kind not in NODE_TYPES:
            out.add(f"{path}.type", "unknown_node_type", f"unknown node type {kind!r}")
        data = node.get("data", {})
        if not isinstance(data, dict):
            out.add(f"{path}.data", "invalid_type", "node data must be an object")
        elif (size := json_bytes(data)) is None or size > MAX_NODE_DATA_BYTES:
            out.add(
                f"{path}.data",
                "node_data_too_large",
                f"node data is at most {MAX_NODE_DATA_BYTES} bytes as JSON, got {size}",
            )
        elif kind in NODE_TYPES:
            check_node_data(kind, data, f"{path}.data", out)
        if node_id is not None:
            types[node_id] = kind if isinstance(kind, str) else ""
            info.data[node_id] = data
            info.index[node_id] = i
    return info


def _allowed_branches(kind: str, data: Any) -> set[str] | None:
    """Branch labels a node's edges may carry; None for nodes whose edges carry none."""
    if not isinstance(data, dict):
        data = {}
    if kind == "condition":
        return {"true", "false"}
    if kind == "switch":
        return {*switch_keys(data), "default"}
    if kind == "split":
        variants = data.get("variants") if isinstance(data.get("variants"), list) else []
        return {str(v.get("id")) for v in variants if isinstance(v, dict)}
    return None


Outgoing = dict[str, list[tuple[int, str, str | None]]]


def _check_edges(edges: Any, nodes: _Nodes, out: Collector) -> None:
    types = nodes.types
    if not isinstance(edges, list):
        out.add("$.edges", "invalid_type", "edges must be a list")
        return
    outgoing: Outgoing = {}
    for i, edge in enumerate(edges):
        path = f"$.edges[{i}]"
        if not isinstance(edge, dict):
            out.add(path, "invalid_type", "an edge must be an object")
            continue
        source, target = edge.get("source"), edge.get("target")
        ok = True
        if not isinstance(source, str) or (source != START and source not in types):
            out.add(
                f"{path}.source", "unknown_edge_source", f"edge source {source!r} is not a node or 'trigger'"
            )
            ok = False
        if not isinstance(target, str) or target not in types:
            out.add(f"{path}.target", "unknown_edge_target", f"edge target {target!r} is not a node")
            ok = False
        if ok and isinstance(source, str) and isinstance(target, str):
            outgoing.setdefault(source, []).append((i, target, branch_of(edge)))
    _check_outgoing(outgoing, nodes, out)
    _check_graph(outgoing, nodes, out)


def _check_outgoing(outgoing: Outgoing, nodes: _Nodes, out: Collector) -> None:
    for source, targets in outgoing.items():
        kind = nodes.types.get(source, "")
        if kind not in BRANCHING_TYPES:
            if len(targets) > 1:
                i = targets[1][0]
                out.add(
                    f"$.edges[{i}]", "multiple_outgoing_edges", f"{source!r} may have only one outgoing edge"
                )
            continue
        allowed = _allowed_branches(kind, nodes.data.get(source))
        seen: set[str] = set()
        for i, _target, branch in targets:
            if branch is None or allowed is None or branch not in allowed:
                out.add(
                    f"$.edges[{i}].branch", "unknown_branch", f"{kind} {source!r} has no branch {branch!r}"
                )
            elif branch in seen:
                out.add(
                    f"$.edges[{i}].branch", "unknown_branch", f"branch {branch!r} of {source!r} is used twice"
                )
            seen.add(branch or "")
        if kind == "condition":
            for branch in ("true", "false"):
                if branch not in seen:
                    out.add("$.edges", "missing_branch", f"condition {source!r} has no {branch!r} branch")
        if kind == "switch" and "default" not in seen:
            out.add("$.edges", "missing_default_branch", f"switch {source!r} has no 'default' branch")


def _check_graph(outgoing: Outgoing, nodes: _Nodes, out: Collector) -> None:
    reachable: set[str] = set()
    stack = [t for _, t, _b in outgoing.get(START, [])]
    while stack:
        node = stack.pop()
        if node not in reachable:
            reachable.add(node)
            stack.extend(t for _, t, _b in outgoing.get(node, []))
    order = list(nodes.types)
    for node in order:
        if node not in reachable:
            out.add(
                f"$.nodes[{nodes.index[node]}]",
                "unreachable_node",
                f"node {node!r} is not reachable from the trigger",
            )
    # Iterative three-colour DFS: recursion would hit the limit on a 100-node chain plus nesting.
    colour: dict[str, int] = {}
    for root in order:
        if colour.get(root):
            continue
        path = [(root, iter([t for _, t, _b in outgoing.get(root, [])]))]
        colour[root] = 1
        while path:
            node, children = path[-1]
            child = next(children, None)
            if child is None:
                colour[node] = 2
                path.pop()
            elif colour.get(child) == 1:
                out.add("$.edges", "cycle", f"edges form a cycle through {child!r} (loops are not supported)")
                return
            elif not colour.get(child):
                colour[child] = 1
                path.append((child, iter([t for _, t, _b in outgoing.get(child, [])])))


def _check_goals(goals: Any, out: Collector) -> None:
    if not isinstance(goals, list):
        out.add("$.goals", "invalid_type", "goals must be a list")
        return
    if len(goals) > MAX_GOALS:
        out.add("$.goals", "too_many_goals", f"a workflow has at most {MAX_GOALS} goals, got {len(goals)}")
        return
    seen: set[str] = set()
    for i, goal in enumerate(goals):
        path = f"$.goals[{i}]"
        if not isinstance(goal, dict):
            out.add(path, "invalid_type", "a goal must be an object")
            continue
        goal_id = goal.get("id")
        if not nonempty_str(goal_id):
            out.add(f"{path}.id", "missing_required", "a goal needs an id")
        elif goal_id in seen:
            out.add(f"{path}.id", "duplicate_goal_id", f"goal id {goal_id!r} is used twice")
        else:
            seen.add(str(goal_id))
        event = goal.get("event")
        if event is not None and not nonempty_str(event):
            out.add(f"{path}.event", "invalid_type", "goal event must be an event type")
        conditions = goal.get("conditions")
        if conditions is None or conditions == []:
            if event is None:
                out.add(f"{path}.conditions", "missing_required", "a goal needs an event or conditions")
        else:
            check_conditions_capped(conditions, f"{path}.conditions", out, cap=MAX_GOAL_CONDITIONS)


def _check_settings(settings: Any, out: Collector) -> None:
    if not isinstance(settings, dict):
        out.add("$.settings", "invalid_type", "settings must be an object")
        return
    if settings.get("reEntry", "always") not in _RE_ENTRY:
        out.add("$.settings.reEntry", "invalid_value", f"reEntry must be one of {sorted(_RE_ENTRY)}")
    tz = settings.get("timezone")
    if tz is not None and (not isinstance(tz, str) or zone(tz) is None):
        out.add("$.settings.timezone", "unknown_timezone", f"unknown IANA time zone {tz!r}")
