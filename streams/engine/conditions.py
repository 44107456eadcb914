"""Conditions compiled once into predicates over a Scope (profile, event, run, now).

A condition is ``{"field", "operator", "value"}``, a group ``{"all": [...]}`` / ``{"any": [...]}``, or a plain
list (all must hold). Field paths are dotted:

* ``attributes.x``, ``tags``, ``segments``, ``contact.x`` and top-level profile fields such as ``source``;
  ``contact.id`` is the contact's id (the key of its events), whatever the profile holds;
* ``event.type`` / ``event.id`` / ``event.occurredAt`` / ``event.contactId`` and ``event.data.x``
  (``event.x`` reads ``data.x``);
* run context: ``hasOpened``, ``hasClicked``, ``variables.x``, ``run.id``, ``workflow.id``,
  ``workflow.version``; a bare name that is not a profile field falls back to the run's variables.

A type mismatch or a missing field makes an operator false (the negated operators ``not_equals``,
``not_contains``, ``not_in`` and ``not_exists`` are true on a missing field). Nothing here raises at
evaluation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from streams.engine.state import Run
from streams.engine.timeutil import duration_ms, parse_instant

__all__ = [
    "MISSING",
    "OPERATORS",
    "Predicate",
    "Scope",
    "compile_condition",
    "compile_path",
    "count_conditions",
    "values_equal",
]


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()
_ENVELOPE: Final = {"id": "id", "type": "type", "tenantId": "tenant_id", "contactId": "contact_id"}
_PROFILE_ROOTS: Final = frozenset({"attributes", "tags", "segments"})


class Scope:
    """What a condition can see. ``event`` is the event being applied (or, in node conditions, the run's
    triggering event summary); ``run`` is None for trigger conditions; ``contact_id`` the contact's id."""

    __slots__ = ("contact_id", "event", "now", "profile", "run")

    def __init__(
        self,
        profile: Mapping[str, Any],
        event: Mapping[str, Any],
        run: Run | None,
        now: int,
        *,
        contact_id: str | None = None,
    ) -> None:
        self.profile = profile
        self.event = event
        self.run = run
        self.now = now
        self.contact_id = contact_id


Getter = Callable[[Scope], Any]
Predicate = Callable[[Scope], bool]


def _walk(value: Any, parts: tuple[str, ...]) -> Any:
    for part in parts:
        if isinstance(value, dict):
            value = value.get(part, MISSING)
        elif isinstance(value, list) and part.isdigit():
            index = int(part)
            value = value[index] if index < len(value) else MISSING
        else:
            return MISSING
        if value is MISSING:
            return MISSING
    return value


def _contact_id(s: Scope) -> Any:
    return s.contact_id if s.contact_id is not None else _walk(s.profile, ("id",))


def _event_contact_id(s: Scope) -> Any:
    # A run's trigger summary does not repeat the contact id: every event of a run is the contact's.
    value = s.event.get("contactId", MISSING)
    return s.contact_id if value is MISSING and s.contact_id is not None else value


# Exact paths naming the run and its workflow. Only these: other ``run.x`` / ``workflow.x`` paths keep
# resolving as profile fields or node variables, as they did before these names existed.
_RUN_PATHS: Final[dict[str, Getter]] = {
    "run.id": lambda s: MISSING if s.run is None else s.run.run_id,
    "workflow.id": lambda s: MISSING if s.run is None else s.run.workflow_id,
    "workflow.version": lambda s: MISSING if s.run is None else s.run.version,
    "contact.id": _contact_id,
    "event.contactId": _event_contact_id,
}


def compile_path(path: str) -> Getter:
    """A getter for a dotted path; see the module docstring for the roots."""
    exact = _RUN_PATHS.get(path)
    if exact is not None:
        return exact
    head, *tail = path.split(".")
    rest = tuple(tail)
    if head == "event":
        if not rest:
            return lambda s: s.event
        if rest[0] == "data":
            inner = rest[1:]
            if len(inner) == 1:  # event.data.campaign: the common trigger field, without the walk
                key = inner[0]

                def event_data_key(s: Scope) -> Any:
                    data = s.event.get("data")
                    return data.get(key, MISSING) if type(data) is dict else MISSING

                return event_data_key
            return lambda s: _walk(s.event.get("data", MISSING), inner)
        if rest[0] in ("id", "type", "occurredAt", "tenantId", "contactId") and len(rest) == 1:
            key = rest[0]
            return lambda s: s.event.get(key, MISSING)
        return lambda s: _walk(s.event.get("data", MISSING), rest)
    if head in ("hasOpened", "hasClicked") and not rest:
        opened = head == "hasOpened"
        return lambda s: MISSING if s.run is None else (s.run.has_opened if opened else s.run.has_clicked)
    if head == "variables":
        return lambda s: MISSING if s.run is None else _walk(s.run.variables, rest)
    if head == "contact":
        return lambda s: _walk(s.profile, rest)
    if head in _PROFILE_ROOTS:
        parts = (head, *rest)
        return lambda s: _walk(s.profile, parts)
    full = (head, *rest)

    def profile_then_variables(s: Scope) -> Any:
        if head in s.profile:
            return _walk(s.profile, full)
        if s.run is not None and head in s.run.variables:
            return _walk(s.run.variables, full)
        return MISSING

    return profile_then_variables


def _num(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def values_equal(actual: Any, expected: Any) -> bool:
    # bool is an int in Python; True must not equal 1 in a marketing rule.
    if isinstance(actual, bool) or isinstance(expected, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual is expected
    return bool(actual == expected)


def _contains(actual: Any, expected: Any) -> bool | None:
    """None when the types do not fit."""
    if isinstance(actual, str):
        return expected in actual if isinstance(expected, str) else None
    if isinstance(actual, list):
        return any(values_equal(item, expected) for item in actual)
    if isinstance(actual, dict):
        return expected in actual if isinstance(expected, str) else None
    return None


def _compare(op: str) -> Callable[[Any, Any, int], bool]:
    def run(actual: Any, expected: Any, _now: int) -> bool:
        a, b = _num(actual), _num(expected)
        if a is None or b is None:
            return False
        if op == "gt":
            return a > b
        if op == "gte":
            return a >= b
        if op == "lt":
            return a < b
        return a <= b

    return run


def _instant(value: Any, now: int) -> int | None:
    return now if value == "now" else parse_instant(value)


def _before(actual: Any, expected: Any, now: int) -> bool:
    a, b = parse_instant(actual), _instant(expected, now)
    return a is not None and b is not None and a < b


def _after(actual: Any, expected: Any, now: int) -> bool:
    a, b = parse_instant(actual), _instant(expected, now)
    return a is not None and b is not None and a > b


def _within_last(actual: Any, expected: Any, now: int) -> bool:
    a, window = parse_instant(actual), duration_ms(expected)
    return a is not None and window is not None and now - window <= a <= now


def _in(actual: Any, expected: Any, _now: int) -> bool:
    if not isinstance(expected, list) or actual is MISSING:
        return False
    if isinstance(actual, list):
        return any(values_equal(a, e) for a in actual for e in expected)
    return any(values_equal(actual, e) for e in expected)


def _not_in(actual: Any, expected: Any, now: int) -> bool:
    if not isinstance(expected, list):
        return False
    return actual is MISSING or not _in(actual, expected, now)


def _str_op(fn: Callable[[str, str], bool]) -> Callable[[Any, Any, int], bool]:
    return lambda a, e, _n: isinstance(a, str) and isinstance(e, str) and fn(a, e)


OPERATORS: Final[dict[str, Callable[[Any, Any, int], bool]]] = {
    "equals": lambda a, e, _n: a is not MISSING and values_equal(a, e),
    "not_equals": lambda a, e, _n: a is MISSING or not values_equal(a, e),
    "contains": lambda a, e, _n: _contains(a, e) is True,
    "not_contains": lambda a, e, _n: a is MISSING or a is None or _contains(a, e) is False,
    "starts_with": _str_op(str.startswith),
    "ends_with": _str_op(str.endswith),
    "gt": _compare("gt"),
    "gte": _compare("gte"),
    "lt": _compare("lt"),
    "lte": _compare("lte"),
    "in": _in,
    "not_in": _not_in,
    "exists": lambda a, _e, _n: a is not MISSING and a is not None,
    "not_exists": lambda a, _e, _n: a is MISSING or a is None,
    "before": _before,
    "after": _after,
    "within_last": _within_last,
}


def _always(_s: Scope) -> bool:
    return True


def _never(_s: Scope) -> bool:
    return False


def compile_condition(spec: Any) -> Predicate:
    """Compile a condition, group or list. Malformed parts compile to a predicate that is always false,
    so a definition that slipped past validation fails closed rather than raising."""
    if spec is None:
        return _always
    if isinstance(spec, list):
        return _all([compile_condition(item) for item in spec])
    if not isinstance(spec, dict):
        return _never
    if "all" in spec:
        items = spec["all"]
        return _all([compile_condition(i) for i in items]) if isinstance(items, list) else _never
    if "any" in spec:
        items = spec["any"]
        return _any([compile_condition(i) for i in items]) if isinstance(items, list) else _never
    field, operator = spec.get("field"), spec.get("operator")
    op = OPERATORS.get(operator) if isinstance(operator, str) else None
    if not isinstance(field, str) or not field or op is None:
        return _never
    getter = compile_path(field)
    expected = spec.get("value")
    if operator in ("contains", "starts_with") and isinstance(expected, str):
        return _string_leaf(getter, op, expected, operator == "contains")
    if operator == "equals" and type(expected) is str:
        return _equals_text(getter, op, expected)
    if operator == "equals" and type(expected) is bool:
        return _equals_flag(getter, expected)
    if operator == "in" and isinstance(expected, list) and expected and all(type(e) is str for e in expected):
        return _in_texts(getter, op, expected)

    def leaf(s: Scope) -> bool:
        try:
            return op(getter(s), expected, s.now)
        except (TypeError, ValueError, OverflowError):  # exotic values must never crash a step
            return False

    return leaf


def _equals_flag(getter: Getter, expected: bool) -> Predicate:
    """``equals true|false``: ``values_equal`` with a bool holds only for that very bool (getters never
    raise)."""
    return lambda s: getter(s) is expected


def _string_leaf(
    getter: Getter,
    op: Callable[[Any, Any, int], bool],
    expected: str,
    contains: bool,
) -> Predicate:
    """``contains`` / ``starts_with`` a string: a string value is tested in place, anything else the
    general way (a list for contains)."""

    def leaf(s: Scope) -> bool:
        actual = getter(s)
        if type(actual) is str:
            return expected in actual if contains else actual.startswith(expected)
        try:
            return op(actual, expected, s.now)
        except (TypeError, ValueError, OverflowError):
            return False

    return leaf


def _equals_text(getter: Getter, op: Callable[[Any, Any, int], bool], expected: str) -> Predicate:
    """``equals "<text>"``: a string value is compared in place (``values_equal`` of two strings is
    ``==``), anything else the general way."""

    def leaf(s: Scope) -> bool:
        actual = getter(s)
        if type(actual) is str:
            return actual == expected
        try:
            return op(actual, expected, s.now)
        except (TypeError, ValueError, OverflowError):
            return False

    return leaf


def _in_texts(getter: Getter, op: Callable[[Any, Any, int], bool], expected: list[str]) -> Predicate:
    """``in [<texts>]``: a string value is looked up in a set (``values_equal`` of two strings is ``==``),
    anything else (a list, a number, a missing field) the general way."""
    texts = frozenset(expected)

    def leaf(s: Scope) -> bool:
        actual = getter(s)
        if type(actual) is str:
            return actual in texts
        try:
            return op(actual, expected, s.now)
        except (TypeError, ValueError, OverflowError):
            return False

    return leaf


def _all(preds: list[Predicate]) -> Predicate:
    if not preds:
        return _always
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:  # the common trigger: two conditions, without a generator per evaluation
        first, second = preds
        return lambda s: first(s) and second(s)
    return lambda s: all(p(s) for p in preds)


def _any(preds: list[Predicate]) -> Predicate:
    if not preds:
        return _never
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:
        first, second = preds
        return lambda s: first(s) or second(s)
    return lambda s: any(p(s) for p in preds)


def count_conditions(spec: Any) -> int:
    """Leaf conditions in a condition tree (the spec limits a node to 10)."""
    if isinstance(spec, list):
        return sum(count_conditions(i) for i in spec)
    if isinstance(spec, dict):
        for key in ("all", "any"):
            if key in spec:
                return count_conditions(spec[key])
        return 1
    return 0
