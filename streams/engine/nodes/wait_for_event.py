"""wait_for_event: the run waits for an event of a type, up to a timeout, then takes ``received`` or
``timeout``.

Data: ``{"event": "order.placed", "conditions": [...], "correlate": ["cartId"], "timeout": {"amount": 2,
"unit": "days"}}``. ``conditions`` see the awaited event as ``event.*`` (and the contact, like goals).
``correlate`` ties the awaited event to the run's triggering event: each item is a path under the events'
``data`` that must hold the same value in both (``"cartId"``: ``event.data.cartId ==
trigger.data.cartId``), or ``{"field": path in the awaited event's data, "triggerField": path in the
trigger's data}``; a value missing on either side never matches. So two carts of one contact are two runs,
each waiting for its own cart.

The received event's data is the run's ``waited`` variable (``{{ waited.orderId }}`` in templates,
``waited.total`` in conditions), bounded like a trigger's data; a timeout sets it to null. Goals are checked
before waits, so an event that is both a goal and the awaited event ends the run as ``goal_reached``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from streams.engine import event_types as et
from streams.engine.conditions import MISSING, compile_condition, values_equal
from streams.engine.encoding import json_bytes
from streams.engine.limits import MAX_CONDITIONS, MAX_DELAY_SECONDS
from streams.engine.nodes.base import Branch, Continue, NodeHandler, Outcome, Wait
from streams.engine.rules import Collector, check_conditions_capped, check_duration, nonempty_str, require
from streams.engine.timeutil import duration_ms

if TYPE_CHECKING:
    from streams.engine.context import StepContext
    from streams.engine.model import Plan, PlanNode
    from streams.engine.state import Run

__all__ = ["HANDLERS", "MAX_WAITED_DATA_BYTES", "WAITED"]

WAITED: Final = "waited"  # the run variable holding the received event's data
# What the run keeps of the received event's data (the run's state is stored on every event).
MAX_WAITED_DATA_BYTES: Final = 4 * 1024
_LISTED_KEYS: Final = 50
_MAX_TIMEOUT_MS: Final = MAX_DELAY_SECONDS * 1000  # 365 days, like a delay
_PREFIXES: Final = ("event.data.", "trigger.data.", "data.")


def _path(value: str) -> tuple[str, ...]:
    for prefix in _PREFIXES:
        if value.startswith(prefix):
            value = value[len(prefix) :]
            break
    return tuple(value.split("."))


def _pairs(spec: Any) -> list[tuple[tuple[str, ...], tuple[str, ...]]] | None:
    """The correlation as (awaited path, trigger path) pairs; None when malformed."""
    items = spec if isinstance(spec, list) else [spec]
    pairs = []
    for item in items:
        if nonempty_str(item):
            pairs.append((_path(item), _path(item)))
        elif isinstance(item, dict) and nonempty_str(item.get("field")):
            other = item.get("triggerField", item["field"])
            if not nonempty_str(other):
                return None
            pairs.append((_path(item["field"]), _path(other)))
        else:
            return None
    return pairs


def _check(data: dict[str, Any], path: str, out: Collector) -> None:
    require(data, "event", path, out, "wait_for_event")
    check_duration(
        data.get("timeout"),
        f"{path}.timeout",
        out,
        what="wait_for_event timeout",
        most_ms=MAX_DELAY_SECONDS * 1000,
    )
    conditions = data.get("conditions")
    if conditions is not None and conditions != [] and conditions != {}:
        check_conditions_capped(conditions, f"{path}.conditions", out, cap=MAX_CONDITIONS)
    correlate = data.get("correlate")
    if correlate is not None and correlate != [] and _pairs(correlate) is None:
        out.add(
            f"{path}.correlate",
            "invalid_value",
            'correlate is a data path ("cartId") or {"field", "triggerField"}, or a list of them',
        )


def _branches(data: dict[str, Any]) -> list[Branch]:
    return [
        Branch("received", "wait_for_event {node} has no 'received' edge"),
        Branch("timeout", "wait_for_event {node} has no 'timeout' edge"),
    ]


def _prepare(node: PlanNode) -> None:
    data = node.data
    event = str(data["event"])
    node.config["events"] = et.DELIVERED_AS.get(event, frozenset({event}))
    conditions = data.get("conditions")
    node.predicate = compile_condition(conditions) if conditions not in (None, [], {}) else None
    correlate = data.get("correlate")
    node.config["pairs"] = _pairs(correlate) if correlate not in (None, []) else []
    node.config["timeout_ms"] = duration_ms(data.get("timeout")) or 0


def _execute(ctx: StepContext, run: Run, plan: Plan, node: PlanNode, key: str) -> Outcome:
    return Wait(et.TIMER_EVENT_WAIT, ctx.now + node.config["timeout_ms"])


def _walk(value: Any, parts: tuple[str, ...]) -> Any:
    for part in parts:
        if not isinstance(value, dict):
            return MISSING
        value = value.get(part, MISSING)
    return value


def _kept(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        return {}
    size = json_bytes(data)
    if size <= MAX_WAITED_DATA_BYTES:
        return data
    return {"truncated": True, "keys": sorted(str(k) for k in data)[:_LISTED_KEYS]}


def _on_event(ctx: StepContext, run: Run, plan: Plan, node: PlanNode) -> Outcome | None:
    event = ctx.event
    if event.type not in node.config["events"]:
        return None
    trigger_data = run.trigger.get("data")
    for awaited, triggered in node.config["pairs"]:
        mine, theirs = _walk(event.data, awaited), _walk(trigger_data, triggered)
        if mine is MISSING or mine is None or theirs is MISSING or not values_equal(mine, theirs):
            return None
    if node.predicate is not None and not node.predicate(ctx.event_scope(run)):
        return None
    output = {
        "branch": "received",
        "event": {"id": event.id, "type": event.type, "occurredAt": event.occurred_at},
    }
    return Continue(node.branches.get("received"), output, variables={WAITED: _kept(event.data)})


def _on_timeout(ctx: StepContext, run: Run, plan: Plan, node: PlanNode, key: str) -> Outcome:
    return Continue(node.branches.get("timeout"), {"branch": "timeout"}, variables={WAITED: None})


HANDLERS: Final = {
    "wait_for_event": NodeHandler(
        _execute, _prepare, _check, _branches, on_timer=_on_timeout, on_event=_on_event
    ),
}
