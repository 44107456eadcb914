"""Per-node and per-condition validation rules, shared by ``validation``: every check appends a Problem
with a JSON path, a stable code and a message, and none of them raises on any JSON input."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeGuard

from streams.engine.conditions import OPERATORS
from streams.engine.limits import (
    MAX_ACTION_TIMEOUT_MS,
    MAX_CONDITION_DEPTH,
    MAX_CONDITIONS,
    MAX_DELAY_SECONDS,
    MAX_TIMEOUT_MS,
)
from streams.engine.model import MESSAGE_CHANNELS
from streams.engine.timeutil import UNIT_SECONDS, duration_ms, parse_instant, parse_time_of_day

__all__ = [
    "MAX_CONDITIONS",
    "MAX_DELAY_SECONDS",
    "Collector",
    "Problem",
    "Severity",
    "check_condition",
    "check_conditions_capped",
    "check_node_data",
]

_METHODS: Final = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
_NO_VALUE_OPERATORS: Final = frozenset({"exists", "not_exists"})

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding of validation. ``node_id`` / ``edge_id`` name the node or edge it concerns (an editor
    highlights it; ``edge_id`` only when the edge has an ``id``). ``severity`` is ``error`` (the definition
    is refused) or ``warning`` (it is accepted, but probably not what the author meant)."""

    path: str
    code: str
    message: str
    node_id: str | None = None
    edge_id: str | None = None
    severity: Severity = "error"

    def to_dict(self) -> dict[str, str]:
        d = {"path": self.path, "code": self.code, "message": self.message, "severity": self.severity}
        if self.node_id is not None:
            d["nodeId"] = self.node_id
        if self.edge_id is not None:
            d["edgeId"] = self.edge_id
        return d


class Collector:
    """Collects problems; inside ``about(node_id=..., edge_id=...)`` every problem added names them."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self._node_id: str | None = None
        self._edge_id: str | None = None

    def add(
        self,
        path: str,
        code: str,
        message: str,
        *,
        node_id: str | None = None,
        edge_id: str | None = None,
        severity: Severity = "error",
    ) -> None:
        self.problems.append(
            Problem(
                path,
                code,
                message,
                node_id if node_id is not None else self._node_id,
                edge_id if edge_id is not None else self._edge_id,
                severity,
            )
        )

    @contextmanager
    def about(self, *, node_id: str | None = None, edge_id: str | None = None) -> Iterator[None]:
        saved = self._node_id, self._edge_id
        self._node_id, self._edge_id = node_id, edge_id
        try:
            yield
        finally:
            self._node_id, self._edge_id = saved


def nonempty_str(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and bool(value.strip())


def is_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_condition(spec: Any, path: str, out: Collector, *, depth: int = 0) -> int:
    """Conditions: a leaf {field, operator, value}, a group {"all"|"any": [...]}, or a list (all).

    Returns the number of leaf conditions, for the callers' caps. Nesting deeper than
    MAX_CONDITION_DEPTH is one problem and is not descended into (the compiler and evaluator recurse)."""
    if depth > MAX_CONDITION_DEPTH:
        out.add(path, "conditions_too_deep", f"conditions nest at most {MAX_CONDITION_DEPTH} groups deep")
        return 0
    if isinstance(spec, list):
        return sum(check_condition(item, f"{path}[{i}]", out, depth=depth + 1) for i, item in enumerate(spec))
    if not isinstance(spec, dict):
        out.add(path, "invalid_condition", "a condition must be an object or a list of conditions")
        return 0
    for key in ("all", "any"):
        if key in spec:
            items = spec[key]
            if not isinstance(items, list) or not items:
                out.add(
                    f"{path}.{key}", "invalid_condition", f"'{key}' must be a non-empty list of conditions"
                )
                return 0
            return check_condition(items, f"{path}.{key}", out, depth=depth + 1)
    _check_leaf(spec, path, out)
    return 1


def check_conditions_capped(spec: Any, path: str, out: Collector, *, cap: int) -> None:
    """Validate a condition tree and refuse more than ``cap`` leaf conditions (one problem at ``path``)."""
    count = check_condition(spec, path, out)
    if count > cap:
        out.add(path, "too_many_conditions", f"at most {cap} conditions, got {count}")


def _check_leaf(spec: dict[str, Any], path: str, out: Collector) -> None:
    if not nonempty_str(spec.get("field")):
        out.add(f"{path}.field", "missing_required", "a condition needs a field path")
    operator = spec.get("operator")
    if operator not in OPERATORS:
        out.add(f"{path}.operator", "unknown_operator", f"unknown operator {operator!r}")
        return
    value = spec.get("value")
    if operator in _NO_VALUE_OPERATORS:
        return
    if "value" not in spec:
        out.add(f"{path}.value", "missing_required", f"operator {operator!r} needs a value")
    elif operator in ("in", "not_in") and not isinstance(value, list):
        out.add(f"{path}.value", "invalid_value", f"operator {operator!r} needs a list value")
    elif operator == "within_last" and (duration_ms(value) is None or (duration_ms(value) or 0) < 0):
        out.add(
            f"{path}.value", "invalid_value", 'within_last needs {"amount": n, "unit": "days"} or seconds'
        )
    elif operator in ("before", "after") and value != "now" and parse_instant(value) is None:
        out.add(f"{path}.value", "invalid_value", f"{operator} needs an ISO-8601 time, epoch ms or 'now'")


def _require(data: dict[str, Any], key: str, path: str, out: Collector, what: str) -> None:
    if not nonempty_str(data.get(key)):
        out.add(f"{path}.{key}", "missing_required", f"{what} needs {key}")


def check_node_data(kind: str, data: dict[str, Any], path: str, out: Collector) -> None:
    if kind in MESSAGE_CHANNELS:
        _require(data, "templateId", path, out, kind)
    elif kind in ("add_tag", "remove_tag"):
        _require(data, "tag", path, out, kind)
    elif kind in ("add_to_segment", "remove_from_segment"):
        _require(data, "segmentId", path, out, kind)
    elif kind == "update_contact":
        maps = [data.get(k) for k in ("attributes", "updates")]
        if not any(isinstance(m, dict) and m for m in maps):
            out.add(
                f"{path}.attributes", "missing_required", "update_contact needs a non-empty attributes map"
            )
    elif kind == "webhook":
        url = data.get("url")
        _require(data, "url", path, out, kind)
        if isinstance(url, str) and url and not url.startswith(("http://", "https://", "{{")):
            out.add(f"{path}.url", "invalid_value", "webhook url must be http(s)")
        if str(data.get("method", "POST")).upper() not in _METHODS:
            out.add(f"{path}.method", "invalid_value", f"method must be one of {sorted(_METHODS)}")
        _check_timeouts(data, path, out)
    elif kind == "slack":
        if not nonempty_str(data.get("webhookUrl")) and not (
            nonempty_str(data.get("channel")) and nonempty_str(data.get("message", data.get("text")))
        ):
            out.add(path, "missing_required", "slack needs webhookUrl, or channel and message")
        _check_timeouts(data, path, out)
    elif kind == "delay":
        _check_delay(data, path, out)
    elif kind == "wait_until":
        if "until" in data:
            if parse_instant(data["until"]) is None:
                out.add(f"{path}.until", "invalid_value", "until must be an ISO-8601 time or epoch ms")
        elif not nonempty_str(data.get("attribute")):
            out.add(f"{path}.until", "missing_required", "wait_until needs until or attribute")
        if data.get("offset") is not None and duration_ms(data["offset"]) is None:
            out.add(
                f"{path}.offset", "invalid_value", 'offset must be {"amount": n, "unit": "days"} or seconds'
            )
    elif kind == "condition":
        conditions = data.get("conditions")
        if conditions is None or conditions == [] or conditions == {}:
            out.add(f"{path}.conditions", "missing_required", "a condition node needs conditions")
        else:
            check_conditions_capped(conditions, f"{path}.conditions", out, cap=MAX_CONDITIONS)
    elif kind == "switch":
        _require(data, "field", path, out, kind)
        cases = data.get("cases")
        if not isinstance(cases, list) or not cases:
            out.add(f"{path}.cases", "missing_required", "switch needs a non-empty list of cases")
        else:
            for i, case in enumerate(cases):
                if not isinstance(case, dict) or "value" not in case:
                    out.add(f"{path}.cases[{i}]", "missing_required", "a switch case needs a value")
    elif kind == "split":
        _check_split(data, path, out)


def _check_timeouts(data: dict[str, Any], path: str, out: Collector) -> None:
    # Upper bounds: one attempt holds an executor slot, all attempts hold the run (and a timer).
    for key, most in (("timeoutMs", MAX_TIMEOUT_MS), ("actionTimeoutMs", MAX_ACTION_TIMEOUT_MS)):
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            out.add(f"{path}.{key}", "invalid_value", f"{key} must be a positive integer")
        elif value > most:
            out.add(f"{path}.{key}", "timeout_out_of_range", f"{key} must be at most {most} ms")


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


def _check_split(data: dict[str, Any], path: str, out: Collector) -> None:
    variants = data.get("variants")
    if not isinstance(variants, list) or not variants:
        out.add(f"{path}.variants", "missing_required", "split needs a non-empty list of variants")
        return
    total = 0.0
    for i, variant in enumerate(variants):
        pct = variant.get("percentage") if isinstance(variant, dict) else None
        if not isinstance(variant, dict) or not nonempty_str(variant.get("id")):
            out.add(f"{path}.variants[{i}].id", "missing_required", "a split variant needs an id")
        if not is_number(pct) or pct < 0:
            out.add(f"{path}.variants[{i}].percentage", "invalid_value", "percentage must be a number >= 0")
        else:
            total += pct
    if abs(total - 100) > 1e-6:
        out.add(f"{path}.variants", "split_percentages", f"split percentages must sum to 100, got {total:g}")


def switch_case_key(case: dict[str, Any]) -> str:
    """A switch case's branch label: its id (or label), else its value as a string."""
    key = case.get("id", case.get("label", case.get("value")))
    return "true" if key is True else "false" if key is False else str(key)


def switch_keys(data: dict[str, Any]) -> list[str]:
    """Branch labels of a switch's cases (see ``switch_case_key``)."""
    cases = data.get("cases")
    if not isinstance(cases, list):
        return []
    return [switch_case_key(case) for case in cases if isinstance(case, dict)]
