"""delay and wait_until: the run waits on a timer; a due time already past continues at once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from streams.engine import event_types as et
from streams.engine.conditions import MISSING, compile_path
from streams.engine.limits import MAX_DELAY_SECONDS
from streams.engine.nodes.base import Continue, Fail, NodeHandler, Outcome, Wait
from streams.engine.rules import Collector, is_number, nonempty_str
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

__all__ = ["HANDLERS"]

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


def _check_delay(data: dict[str, Any], path: str, out: Collector) -> None:
    duration, unit = data.get("duration"), data.get("unit")
    if not is_number(duration):
        out.add(f"{path}.duration", "missing_required", "delay needs a numeric duration")
    if unit not in UNIT_SECONDS:
        out.add(f"{path}.unit", "missing_required", "delay needs unit seconds|minutes|hours|days|weeks")
    if is_number(duration) and unit in UNIT_SECONDS:
        seconds = duration * UNIT_SECONDS[unit]
        if seconds < 0 or seconds > MAX_DELAY_SECONDS:
            out.add(f"{path}.duration", "delay_out_of_range", "a delay must be between 0 and 365 days")
    if data.get("timeOfDay") is not None and parse_time_of_day(data["timeOfDay"]) is None:
        out.add(f"{path}.timeOfDay", "invalid_value", 'timeOfDay must be "HH:MM" (24h)')


def _check_wait_until(data: dict[str, Any], path: str, out: Collector) -> None:
    if "until" in data:
        if parse_instant(data["until"]) is None:
            out.add(f"{path}.until", "invalid_value", "until must be an ISO-8601 time or epoch ms")
    elif not nonempty_str(data.get("attribute")):
        out.add(f"{path}.until", "missing_required", "wait_until needs until or attribute")
    if data.get("offset") is not None and duration_ms(data["offset"]) is None:
        out.add(f"{path}.offset", "invalid_value", 'offset must be {"amount": n, "unit": "days"} or seconds')


HANDLERS: Final = {
    "delay": NodeHandler(_delay, _prepare_delay, _check_delay),
    "wait_until": NodeHandler(_wait_until, _prepare_wait_until, _check_wait_until),
}
