"""delay and wait_until: the run waits on a timer; a due time already past continues at once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from streams.engine import event_types as et
from streams.engine.conditions import MISSING, compile_path
from streams.engine.nodes.base import Continue, Fail, NodeHandler, Outcome, Wait
from streams.engine.timeutil import (
    UNIT_SECONDS,
    duration_ms,
    next_time_of_day,
    parse_instant,
    parse_time_of_day,
)

if TYPE_CHECKING:
    from streams.engine.context import StepContext
    from streams.engine.model import Plan, PlanNode
    from streams.engine.state import Run

__all__ = ["WAIT_HANDLERS"]

_UTC_HOUR_MS: Final = 3_600_000


def _prepare_delay(node: PlanNode) -> None:
    data = node.data
    node.config["ms"] = int(data["duration"] * UNIT_SECONDS[data["unit"]] * 1000)
    node.config["time_of_day"] = parse_time_of_day(data.get("timeOfDay"))


def _delay(ctx: StepContext, run: Run, plan: Plan, node: PlanNode, key: str) -> Outcome:
    due = ctx.now + node.config["ms"]
    time_of_day = node.config["time_of_day"]
    if time_of_day is not None:
        hour, minute = time_of_day
        tz = ctx.timezone_for(plan)
        if tz is None:  # UTC: plain arithmetic, no zone needed
            day_ms = 24 * _UTC_HOUR_MS
            candidate = due - due % day_ms + hour * _UTC_HOUR_MS + minute * 60_000
            due = candidate if candidate >= due else candidate + day_ms
        else:
            due = next_time_of_day(due, hour, minute, tz)
    if due <= ctx.now:
        return Continue(node.next, {"scheduledAt": due, "waited": False})
    return Wait(et.TIMER_DELAY, due)


def _prepare_wait_until(node: PlanNode) -> None:
    data = node.data
    node.config["until"] = parse_instant(data["until"]) if "until" in data else None
    attribute = data.get("attribute")
    node.getter = compile_path(attribute) if isinstance(attribute, str) and "until" not in data else None
    node.config["offset_ms"] = duration_ms(data.get("offset")) or 0


def _wait_until(ctx: StepContext, run: Run, plan: Plan, node: PlanNode, key: str) -> Outcome:
    due = node.config["until"]
    if due is None:
        getter = node.getter
        value = getter(ctx.run_scope(run)) if getter is not None else MISSING
        instant = parse_instant(value)
        if instant is None:
            return Fail(f"wait_until: {node.data.get('attribute')!r} is missing or not a date ({value!r})")
        due = instant + node.config["offset_ms"]
    if due <= ctx.now:
        return Continue(node.next, {"scheduledAt": due, "waited": False})
    return Wait(et.TIMER_WAIT_UNTIL, due)


WAIT_HANDLERS: Final = {
    "delay": NodeHandler(_delay, _prepare_delay),
    "wait_until": NodeHandler(_wait_until, _prepare_wait_until),
}
