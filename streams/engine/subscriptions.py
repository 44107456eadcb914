"""Which event types reach the engine: a trigger, goal, exit or wait on a type nobody publishes never fires.

The subscribed set comes from the caller (the bridge's subjects): exact types, or NATS subject patterns in
which ``*`` matches one token and a final ``>`` matches one or more. A mismatch is a ``warning``, never an
error: a type may be subscribed after the workflow is written.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from streams.engine import event_types as et
from streams.engine.nodes import HANDLERS
from streams.engine.rules import Collector, nonempty_str

__all__ = ["check_subscribed", "subject_matches"]


def subject_matches(pattern: str, subject: str) -> bool:
    """NATS subject matching: tokens split on ``.``; ``*`` is one token, a last ``>`` one or more."""
    want, have = pattern.split("."), subject.split(".")
    for i, part in enumerate(want):
        if part == ">" and i == len(want) - 1:
            return len(have) > i
        if i >= len(have) or (part != "*" and part != have[i]):
            return False
    return len(want) == len(have)


def _subscribed(event_type: str, subscribed: Collection[str]) -> bool:
    delivered = et.DELIVERED_AS.get(event_type, frozenset({event_type}))
    return any(subject_matches(p, t) for t in delivered for p in subscribed)


def check_subscribed(definition: dict[str, Any], subscribed: Collection[str], out: Collector) -> None:
    """A warning for an event trigger, goal, exit or awaited event whose type is not among ``subscribed``."""
    trigger = definition.get("trigger")
    if isinstance(trigger, dict) and trigger.get("type") == "event":
        _warn(trigger.get("event"), "$.trigger.event", "trigger", subscribed, out)
    goals = definition.get("goals")
    for i, goal in enumerate(goals if isinstance(goals, list) else []):
        if isinstance(goal, dict):
            _warn(goal.get("event"), f"$.goals[{i}].event", "goal", subscribed, out)
    settings = definition.get("settings")
    exit_when = settings.get("exitWhen") if isinstance(settings, dict) else None
    if isinstance(exit_when, dict):
        _warn(exit_when.get("event"), "$.settings.exitWhen.event", "exit", subscribed, out)
    nodes = definition.get("nodes")
    for i, node in enumerate(nodes if isinstance(nodes, list) else []):
        # A node that waits for an event (its handler has on_event) names the type in data.event.
        kind = node.get("type") if isinstance(node, dict) else None
        handler = HANDLERS.get(kind) if isinstance(kind, str) else None
        data = node.get("data") if isinstance(node, dict) else None
        if handler is not None and handler.on_event is not None and isinstance(data, dict):
            with out.about(node_id=node.get("id") if nonempty_str(node.get("id")) else None):
                _warn(data.get("event"), f"$.nodes[{i}].data.event", "wait", subscribed, out)


def _warn(event_type: Any, path: str, what: str, subscribed: Collection[str], out: Collector) -> None:
    if nonempty_str(event_type) and not _subscribed(event_type, subscribed):
        out.add(
            path,
            "unsubscribed_event_type",
            f"no subscribed subject delivers {event_type!r}: this {what} never fires until it is subscribed",
            severity="warning",
        )
