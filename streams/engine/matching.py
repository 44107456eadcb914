"""Trigger matching for many workflows on one event type without evaluating every trigger.

A trigger is filed under one leaf its conditions require (a top-level leaf of an ``all`` group or of a
plain list), picked in this order:

* ``field equals <scalar>``: filed under the value;
* ``field starts_with "<prefix>"``: filed under the prefix (looked up by the prefix lengths in use);
* ``field contains "<text>"``: listed with its text; the field's value is resolved once and the texts are
  tested in one tight loop, so the others need no evaluation;
* an ``any`` group whose every member is one of the leaves above: filed under each member (the trigger
  is a candidate when any of them can match);
* ``field in [<scalars>]``: filed under each listed value (last: a short list shared by many triggers,
  such as plans, narrows least).

At match time each filed field is resolved once per event and only the workflows filed under what the
contact's value can match are evaluated in full; triggers with none of these leaves are always evaluated.
The candidates are a superset of the matching triggers, in the index's workflow order, so which runs start
and in which order does not depend on this optimisation.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from streams.engine.conditions import MISSING, Getter, Scope, compile_path
from streams.engine.model import Plan

__all__ = ["TriggerMatcher"]


def _value_key(value: Any) -> Hashable | None:
    """Keys that collide exactly when ``values_equal`` holds for scalars (True is not 1)."""
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, int | float):
        return ("n", float(value))
    if isinstance(value, str):
        return ("s", value)
    return None


Filing = tuple[str, str, list[Hashable] | str]  # (field, "keys" | "prefix" | "contains", what is filed)


def _required(conditions: Any) -> list[Any]:
    """The members an ``all`` group (or a plain list, or one condition) requires."""
    members = conditions.get("all") if isinstance(conditions, dict) and "all" in conditions else conditions
    if isinstance(members, dict):
        members = [members]
    return members if isinstance(members, list) else []


def _is_leaf(condition: Any) -> bool:
    return isinstance(condition, dict) and isinstance(condition.get("field"), str)


def _leaf_filing(leaf: dict[str, Any], kinds: tuple[str, ...]) -> Filing | None:
    """How one leaf can be filed, trying ``kinds`` (operators) in order."""
    operator, value = leaf.get("operator"), leaf.get("value")
    if operator not in kinds:
        return None
    if operator == "equals":
        key = _value_key(value)
        return (leaf["field"], "keys", [key]) if key is not None else None
    if operator == "starts_with" and isinstance(value, str):
        return leaf["field"], "prefix", value
    if operator == "contains" and isinstance(value, str):
        return leaf["field"], "contains", value
    if operator == "in" and isinstance(value, list) and value:
        keys = [_value_key(v) for v in value]
        if all(k is not None for k in keys):
            return leaf["field"], "keys", list(dict.fromkeys(keys))
    return None


_NARROW: tuple[tuple[str, ...], ...] = (("equals",), ("starts_with",), ("contains",))
_ANY_MEMBER: tuple[str, ...] = ("equals", "starts_with", "contains", "in")


def _filing(conditions: Any) -> list[Filing] | None:
    """Where to file a trigger: one filing for its best required leaf, one per member for an ``any``
    group of fileable leaves, or None (always evaluated)."""
    required = _required(conditions)
    leaves = [c for c in required if _is_leaf(c)]
    for kinds in _NARROW:
        for leaf in leaves:
            if (filing := _leaf_filing(leaf, kinds)) is not None:
                return [filing]
    for group in required:
        members = group.get("any") if isinstance(group, dict) else None
        if isinstance(members, list) and members and all(_is_leaf(m) for m in members):
            filings = [_leaf_filing(m, _ANY_MEMBER) for m in members]
            if all(f is not None for f in filings):
                return [f for f in filings if f is not None]
    for leaf in leaves:
        if (filing := _leaf_filing(leaf, ("in",))) is not None:
            return [filing]
    return None


class _FieldIndex:
    """The triggers filed under one field: by value key, and by prefix."""

    __slots__ = ("getter", "keys", "lengths", "prefixes", "repeated_texts", "texts")

    def __init__(self, field: str) -> None:
        self.getter: Getter = compile_path(field)
        self.keys: dict[Hashable, list[Plan]] = {}
        self.prefixes: dict[str, list[Plan]] = {}
        self.lengths: tuple[int, ...] = ()
        self.texts: list[tuple[str, Plan]] = []
        # Whether one plan has two texts here (an ``any`` group): matches are then made unique.
        self.repeated_texts = False

    def file(self, plan: Plan, kind: str, filed: list[Hashable] | str) -> None:
        # A plan filed twice under one key or prefix (an ``any`` group repeating a value) is listed once.
        if kind == "contains":
            assert isinstance(filed, str)
            self.repeated_texts = self.repeated_texts or any(p is plan for _, p in self.texts)
            self.texts.append((filed, plan))
        elif kind == "prefix":
            assert isinstance(filed, str)
            bucket = self.prefixes.setdefault(filed, [])
            if not bucket or bucket[-1] is not plan:
                bucket.append(plan)
            self.lengths = tuple(sorted({len(p) for p in self.prefixes}))
        else:
            assert isinstance(filed, list)
            for key in filed:
                bucket = self.keys.setdefault(key, [])
                if not bucket or bucket[-1] is not plan:
                    bucket.append(plan)

    def collect(self, scope: Scope, found: list[list[Plan]]) -> None:
        """Append the buckets the contact's value can match (each bucket is in index order)."""
        value = self.getter(scope)
        if value is MISSING:
            return
        if self.keys:
            # equals and in match a scalar; in also matches a list holding one of the listed values.
            for item in value if isinstance(value, list) else (value,):
                key = _value_key(item)
                if key is not None and (bucket := self.keys.get(key)) is not None:
                    found.append(bucket)
        if self.texts and type(value) in (str, list, dict):
            # contains a text: a substring of a string, an item of a list, a key of an object (``in``
            # tests exactly these, and a text is never equal to a non-text item).
            matched = [plan for text, plan in self.texts if text in value]
            if matched:
                found.append(list({id(p): p for p in matched}.values()) if self.repeated_texts else matched)
        if self.prefixes and isinstance(value, str):
            size = len(value)
            for length in self.lengths:
                if length > size:
                    break
                bucket = self.prefixes.get(value[:length])
                if bucket is not None:
                    found.append(bucket)


class TriggerMatcher:
    __slots__ = ("_fields", "_order", "_plans", "_unindexed")

    def __init__(self, plans: Sequence[Plan]) -> None:
        self._plans = tuple(plans)
        self._order = {id(p): i for i, p in enumerate(self._plans)}
        self._unindexed: list[Plan] = []
        by_field: dict[str, _FieldIndex] = {}
        for plan in self._plans:
            # Segment triggers also compare data.segmentId; keep them on the simple path.
            filings = _filing(plan.trigger_data.get("conditions")) if plan.trigger_type == "event" else None
            if filings is None:
                self._unindexed.append(plan)
                continue
            for field, kind, filed in filings:
                by_field.setdefault(field, _FieldIndex(field)).file(plan, kind, filed)
        self._fields = tuple(by_field.values())

    @property
    def empty(self) -> bool:
        return not self._plans

    def candidates(self, scope: Scope) -> list[Plan]:
        """Plans whose trigger may match (a superset of the matching ones), in index order."""
        if not self._fields:
            return self._unindexed
        buckets: list[list[Plan]] = [self._unindexed] if self._unindexed else []
        for index in self._fields:
            index.collect(scope, buckets)
        if not buckets:
            return []
        if len(buckets) == 1:
            return buckets[0]  # one bucket is in index order already (the common case)
        # An in-list or an any group may file a plan under two keys: each plan once, in index order.
        found = list({id(p): p for bucket in buckets for p in bucket}.values())
        found.sort(key=lambda p: self._order[id(p)])
        return found
