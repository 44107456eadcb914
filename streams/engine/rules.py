"""The vocabulary of validation: Problem, Collector, and the checks node handlers and ``validation`` share
(conditions, required strings, durations). Every check appends a Problem with a JSON path, a stable code and
a message, and none of them raises on any JSON input. Per-node-type rules live with their handler
(``NodeHandler.check`` in ``streams.engine.nodes``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeGuard

from streams.engine.conditions import OPERATORS
from streams.engine.limits import MAX_CONDITION_DEPTH, MAX_CONDITIONS, MAX_DELAY_SECONDS
from streams.engine.timeutil import duration_ms, parse_instant

__all__ = [
    "MAX_CONDITIONS",
    "MAX_DELAY_SECONDS",
    "Collector",
    "Problem",
    "Severity",
    "check_condition",
    "check_conditions_capped",
    "check_duration",
    "is_number",
    "nonempty_str",
    "require",
]

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


def require(data: dict[str, Any], key: str, path: str, out: Collector, what: str) -> None:
    """``data[key]`` must be a non-empty string."""
    if not nonempty_str(data.get(key)):
        out.add(f"{path}.{key}", "missing_required", f"{what} needs {key}")


def check_duration(
    value: Any, path: str, out: Collector, *, what: str, most_ms: int, required: bool = True
) -> None:
    """A duration (``{"amount": n, "unit": "days"}`` or seconds) greater than 0 and at most ``most_ms``."""
    if value is None:
        if required:
            out.add(path, "missing_required", f"{what} needs a duration")
        return
    ms = duration_ms(value)
    if ms is None:
        out.add(path, "invalid_value", f'{what} must be {{"amount": n, "unit": "days"}} or seconds')
    elif ms <= 0 or ms > most_ms:
        out.add(
            path,
            "duration_out_of_range",
            f"{what} must be more than 0 and at most {most_ms // 86_400_000} days",
        )
