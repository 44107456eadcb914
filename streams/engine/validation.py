"""Validation of a workflow definition as raw JSON: every problem at once, never an exception.

Each problem has a JSON path (``$.nodes[2].data.templateId``), a stable snake_case ``code`` and a message.
Codes: not_an_object, invalid_type, missing_required, invalid_value, unknown_trigger_type, invalid_cron,
unknown_timezone, too_many_nodes, duplicate_node_id, unknown_node_type, too_many_conditions,
delay_out_of_range, invalid_condition, unknown_operator, unknown_edge_source, unknown_edge_target,
multiple_outgoing_edges, missing_branch, unknown_branch, missing_default_branch, end_has_edges,
split_percentages, cycle, unreachable_node, duplicate_goal_id, and for the caps of ``limits``:
definition_too_large, node_data_too_large, too_many_goals, too_many_conditions (trigger, goal, condition
node), conditions_too_deep, timeout_out_of_range. Problems about one node or edge name it (``nodeId``,
``edgeId``); the graph rules are in ``graph``. Every code above is an ``error``; the one ``warning`` is
unsubscribed_event_type (see ``validate``).
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any, Final

from streams.engine.caps import MAX_PRIORITY
from streams.engine.cron import CronError, CronSchedule
from streams.engine.graph import NodeInfo, check_edges
from streams.engine.limits import (
    MAX_ACTIVE_RUNS,
    MAX_CONDITIONS,
    MAX_DEFINITION_BYTES,
    MAX_DELAY_SECONDS,
    MAX_GOAL_CONDITIONS,
    MAX_GOALS,
    MAX_NODE_DATA_BYTES,
    MAX_NODES,
    MAX_TRIGGER_CONDITIONS,
)
from streams.engine.model import START, TRIGGER_TYPES
from streams.engine.nodes import HANDLERS, NODE_TYPES
from streams.engine.rules import Collector, Problem, check_condition, check_conditions_capped, nonempty_str
from streams.engine.subscriptions import check_subscribed
from streams.engine.timeutil import zone
from streams.engine.windows import check_window

__all__ = ["MAX_CONDITIONS", "MAX_DELAY_SECONDS", "MAX_NODES", "Problem", "check_condition", "validate"]

MAX_NODE_ID_LENGTH: Final = 100  # currentNodeId is VARCHAR(100)
_STATUSES: Final = frozenset({"draft", "active", "paused", "archived"})
_RE_ENTRY: Final = frozenset({"always", "not_while_active", "once"})


def validate(definition: Any, *, subscribed_types: Collection[str] | None = None) -> list[Problem]:
    """Every problem of a definition (an empty list when it is valid). ``id`` and ``tenantId`` are optional
    here (drafts have none yet) but type-checked when present; ``compile_definition`` requires them.

    ``subscribed_types``: the event types that reach the engine (exact types, or NATS subject patterns
    with ``*`` and ``>``). When given, an event trigger or goal on a type outside them is a ``warning``
    (``unsubscribed_event_type``): any type is accepted, but that one would never arrive. Without it
    (the default) nothing is checked; warnings never stop ``compile_definition``."""
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
    check_edges(definition.get("edges", []), nodes, out)
    _check_goals(definition.get("goals", []), out)
    _check_settings(definition.get("settings", {}), out)
    if subscribed_types is not None:
        check_subscribed(definition, subscribed_types, out)
    return out.problems


def _named(value: Any, names: Collection[str]) -> bool:
    """``value`` is one of ``names`` (an object or a list, which cannot be hashed, never is)."""
    return isinstance(value, str) and value in names


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
    if not _named(d.get("status", "draft"), _STATUSES):
        out.add("$.status", "invalid_value", f"status must be one of {sorted(_STATUSES)}")


def _check_trigger(trigger: Any, out: Collector) -> None:
    path = "$.trigger"
    if not isinstance(trigger, dict):
        out.add(path, "missing_required", "a workflow needs a trigger object")
        return
    kind = trigger.get("type")
    if not _named(kind, TRIGGER_TYPES):
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


def _check_nodes(nodes: Any, out: Collector) -> NodeInfo:
    info = NodeInfo()
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
        raw_id = node.get("id")
        named = nonempty_str(raw_id) and len(raw_id) <= MAX_NODE_ID_LENGTH  # never echo a huge id
        with out.about(node_id=raw_id if named else None):
            node_id = _check_node(node, path, info, out)
        if node_id is not None:
            kind = node.get("type")
            types[node_id] = kind if isinstance(kind, str) else ""
            info.data[node_id] = node.get("data", {})
            info.index[node_id] = i
    return info


def _check_node(node: dict[str, Any], path: str, info: NodeInfo, out: Collector) -> str | None:
    """Check one node; returns its id when it is usable for the graph checks."""
    node_id, kind = node.get("id"), node.get("type")
    if not nonempty_str(node_id) or node_id == START or len(node_id) > MAX_NODE_ID_LENGTH:
        out.add(f"{path}.id", "missing_required", "a node needs an id (1-100 chars, not 'trigger')")
        node_id = None
    elif node_id in info.types:
        out.add(f"{path}.id", "duplicate_node_id", f"node id {node_id!r} is used twice")
        node_id = None
    if not _named(kind, NODE_TYPES):
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
    elif isinstance(kind, str) and kind in NODE_TYPES:
        check = HANDLERS[kind].check
        if check is not None:
            check(data, f"{path}.data", out)
    return node_id


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
    if not _named(settings.get("reEntry", "always"), _RE_ENTRY):
        out.add("$.settings.reEntry", "invalid_value", f"reEntry must be one of {sorted(_RE_ENTRY)}")
    cap = settings.get("maxActiveRunsPerContact")
    if cap is not None and (
        not isinstance(cap, int) or isinstance(cap, bool) or not 1 <= cap <= MAX_ACTIVE_RUNS
    ):
        out.add(
            "$.settings.maxActiveRunsPerContact",
            "invalid_value",
            f"maxActiveRunsPerContact must be an integer from 1 to {MAX_ACTIVE_RUNS}",
        )
    priority = settings.get("priority")
    if priority is not None and (
        not isinstance(priority, int) or isinstance(priority, bool) or not 0 <= priority <= MAX_PRIORITY
    ):
        out.add(
            "$.settings.priority",
            "invalid_value",
            f"priority must be an integer from 0 to {MAX_PRIORITY} (above 0 may use a cap's reserved share)",
        )
    tz = settings.get("timezone")
    if tz is not None and (not isinstance(tz, str) or zone(tz) is None):
        out.add("$.settings.timezone", "unknown_timezone", f"unknown IANA time zone {tz!r}")
    if settings.get("sendWindow") is not None:
        check_window(settings["sendWindow"], "$.settings.sendWindow", out)
    exit_when = settings.get("exitWhen")
    if exit_when is not None:
        path = "$.settings.exitWhen"
        if not isinstance(exit_when, dict):
            out.add(path, "invalid_type", "exitWhen must be an object: {event, conditions}")
        else:
            if not nonempty_str(exit_when.get("event")):
                out.add(f"{path}.event", "missing_required", "exitWhen needs the event type that ends a run")
            if exit_when.get("conditions") is not None:
                check_conditions_capped(
                    exit_when["conditions"], f"{path}.conditions", out, cap=MAX_GOAL_CONDITIONS
                )
