"""Trigger matching for many workflows on one event type without evaluating every trigger.

A trigger is filed under one leaf its conditions require (a top-level leaf of an ``all`` group or of a
plain list), picked in this order:

* ``field equals <scalar>``: filed under the value;
* ``field starts_with "<prefix>"``: filed under the prefix (looked up by the prefix lengths in use);
* ``field contains "<text>"``: listed with its text; the field's value is resolved once and the texts are
  tested in one tight loop, so the others need no evaluation;
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


def _required_leaves(conditions: Any) -> list[dict[str, Any]]:
    leaves = conditions.get("all") if isinstance(conditions, dict) and "all" in conditions else conditions
    if isinstance(leaves, dict):
        leaves = [leaves]
    if not isinstance(leaves, list):
        return []
    return [leaf for leaf in leaves if isinstance(leaf, dict) and isinstance(leaf.get("field"), str)]


def _filing(conditions: Any) -> tuple[str, str, list[Hashable] | str] | None:
    """(field, "keys", value keys), (field, "prefix", prefix) or (field, "contains", text) for the best
    required leaf, else None."""
    leaves = _required_leaves(conditions)
    for leaf in leaves:
        if leaf.get("operator") == "equals" and (key := _value_key(leaf.get("value"))) is not None:
            return leaf["field"], "keys", [key]
    for leaf in leaves:
        if leaf.get("operator") == "starts_with" and isinstance(leaf.get("value"), str):
            return leaf["field"], "prefix", leaf["value"]
    for leaf in leaves:
        if leaf.get("operator") == "contains" and isinstance(leaf.get("value"), str):
            return leaf["field"], "contains", leaf["value"]
    for leaf in leaves:
        listed = leaf.get("value")
        if leaf.get("operator") == "in" and isinstance(listed, list) and listed:
            keys = [_value_key(v) for v in listed]
            if all(k is not None for k in keys):
                return leaf["field"], "keys", list(dict.fromkeys(keys))
    return None


class _FieldIndex:
    """The triggers filed under one field: by value key, and by prefix."""

    __slots__ = ("getter", "keys", "lengths", "prefixes", "texts")

    def __init__(self, field: str) -> None:
        self.getter: Getter = compile_path(field)
        self.keys: dict[Hashable, list[Plan]] = {}
        self.prefixes: dict[str, list[Plan]] = {}
        self.lengths: tuple[int, ...] = ()
        self.texts: list[tuple[str, Plan]] = []

    def file(self, plan: Plan, kind: str, filed: list[Hashable] | str) -> None:
        if kind == "contains":
            assert isinstance(filed, str)
            self.texts.append((filed, plan))
        elif kind == "prefix":
            assert isinstance(filed, str)
            self.prefixes.setdefault(filed, []).append(plan)
            self.lengths = tuple(sorted({len(p) for p in self.prefixes}))
        else:
            assert isinstance(filed, list)
            for key in filed:
                self.keys.setdefault(key, []).append(plan)

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
                found.append(matched)
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
            filing = _filing(plan.trigger_data.get("conditions")) if plan.trigger_type == "event" else None
            if filing is None:
                self._unindexed.append(plan)
            else:
                field, kind, filed = filing
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
        # An in-list may file a plan under two keys: each plan once, in index order.
        found = list({id(p): p for bucket in buckets for p in bucket}.values())
        found.sort(key=lambda p: self._order[id(p)])
        return found
