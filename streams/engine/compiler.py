"""Compile a validated definition once into a Plan: adjacency, compiled predicates, node settings."""

from __future__ import annotations

from typing import Any, Final

from pydantic import ValidationError

from streams.engine import event_types as et
from streams.engine.conditions import compile_condition
from streams.engine.errors import DefinitionError
from streams.engine.graph import GRAPH_COMPLETENESS_CODES
from streams.engine.limits import DEFAULT_MAX_ACTIVE_RUNS_PER_CONTACT
from streams.engine.model import (
    START,
    Plan,
    PlanGoal,
    PlanNode,
    WorkflowDefinition,
    branch_of,
)
from streams.engine.nodes import BRANCHING_TYPES, HANDLERS
from streams.engine.redact import redact_data
from streams.engine.validation import Problem, validate
from streams.engine.windows import compile_window

__all__ = ["compile_definition", "trigger_event_types"]

_SEGMENT_EVENTS: Final = {"segment_entry": et.SEGMENT_MEMBER_ADDED, "segment_exit": et.SEGMENT_MEMBER_REMOVED}


def trigger_event_types(trigger: dict[str, Any]) -> frozenset[str]:
    """Event types that can start a run of this trigger (manual triggers address a workflow directly)."""
    kind = trigger.get("type")
    if kind == "event":
        event = trigger["event"]
        return et.DELIVERED_AS.get(event, frozenset({event}))
    if kind in _SEGMENT_EVENTS:
        return frozenset({_SEGMENT_EVENTS[kind]})
    if kind == "schedule":
        return frozenset({et.SCHEDULE_TICK})
    if kind == "webhook":
        return frozenset({et.TRIGGER_WEBHOOK})
    return frozenset()


def _goal_events(event: str | None) -> frozenset[str] | None:
    if event is None:
        return None
    # The spec's example goal names contact.attribute_changed; the contacts module publishes
    # contact.updated for the same fact.
    return et.DELIVERED_AS.get(event, frozenset({event}))


def compile_definition(raw: Any) -> WorkflowDefinition:
    """Validate and compile one workflow version; raises DefinitionError listing every problem.

    Warnings and the graph-completeness rules (``GRAPH_COMPLETENESS_CODES``) do not stop it: they are
    refused where definitions are written, while versions stored before those rules must keep loading."""
    problems = [p for p in validate(raw) if p.severity == "error" and p.code not in GRAPH_COMPLETENESS_CODES]
    if isinstance(raw, dict):
        for key in ("id", "tenantId"):
            if not isinstance(raw.get(key), str) or not raw.get(key):
                problems.append(Problem(f"$.{key}", "missing_required", f"a stored definition needs {key}"))
    if problems:
        raise DefinitionError(problems)
    try:
        definition = WorkflowDefinition.model_validate(raw)
    except ValidationError as exc:
        raise DefinitionError(
            [
                Problem(
                    "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e["loc"]),
                    "invalid_type",
                    e["msg"],
                )
                for e in exc.errors()
            ]
        ) from None
    definition._plan = _plan(raw)
    return definition


def _plan(raw: dict[str, Any]) -> Plan:
    nodes: dict[str, PlanNode] = {}
    for node in raw.get("nodes", []):
        nodes[node["id"]] = PlanNode(node["id"], node["type"], node.get("data") or {})
    start: str | None = None
    for edge in raw.get("edges", []):
        source, target = edge["source"], edge["target"]
        if source == START:
            start = target
            continue
        plan_node = nodes[source]
        if plan_node.type in BRANCHING_TYPES:
            plan_node.branches[branch_of(edge) or ""] = target
        else:
            plan_node.next = target
    for plan_node in nodes.values():
        plan_node.record_input = redact_data(plan_node.data)
        prepare = HANDLERS[plan_node.type].prepare
        if prepare is not None:
            prepare(plan_node)
    trigger = raw["trigger"]
    settings = raw.get("settings") or {}
    goals = tuple(
        PlanGoal(g["id"], g.get("name"), _goal_events(g.get("event")), compile_condition(g.get("conditions")))
        for g in raw.get("goals", [])
    )
    return Plan(
        workflow_id=raw["id"],
        tenant_id=raw["tenantId"],
        version=raw.get("version", 1),
        status=raw.get("status", "draft"),
        trigger_type=trigger["type"],
        trigger_data=trigger,
        trigger_predicate=compile_condition(trigger.get("conditions")),
        trigger_event_types=trigger_event_types(trigger),
        start=start,
        nodes=nodes,
        goals=goals,
        re_entry=settings.get("reEntry", "always"),
        timezone=settings.get("timezone"),
        max_active_runs=settings.get("maxActiveRunsPerContact") or DEFAULT_MAX_ACTIVE_RUNS_PER_CONTACT,
        exit_when=_exit_when(settings.get("exitWhen")),
        send_window=compile_window(settings.get("sendWindow")),
        priority=settings.get("priority") or 0,
    )


def _exit_when(spec: Any) -> PlanGoal | None:
    if not isinstance(spec, dict):
        return None
    return PlanGoal("exit", None, _goal_events(spec.get("event")), compile_condition(spec.get("conditions")))
