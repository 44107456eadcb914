"""Trigger matching for many workflows on one event type without evaluating every trigger.

A trigger whose conditions require ``field equals <scalar>`` (a top-level leaf of an ``all`` group or of
a plain list) is filed under that field and value; at match time each such field is resolved once and only
the workflows filed under the contact's value are evaluated in full. Triggers without such a leaf are
always evaluated. The result keeps the index's workflow order, so which runs start and in which order does
not depend on this optimisation.
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


def _equality_leaf(conditions: Any) -> tuple[str, Hashable] | None:
    leaves = conditions.get("all") if isinstance(conditions, dict) and "all" in conditions else conditions
    if isinstance(leaves, dict):
        leaves = [leaves]
    if not isinstance(leaves, list):
        return None
    for leaf in leaves:
        if isinstance(leaf, dict) and leaf.get("operator") == "equals" and isinstance(leaf.get("field"), str):
            key = _value_key(leaf.get("value"))
            if key is not None:
                return leaf["field"], key
    return None


class TriggerMatcher:
    __slots__ = ("_fields", "_order", "_plans", "_unindexed")

    def __init__(self, plans: Sequence[Plan]) -> None:
        self._plans = tuple(plans)
        self._order = {id(p): i for i, p in enumerate(self._plans)}
        self._unindexed: list[Plan] = []
        by_field: dict[str, dict[Hashable, list[Plan]]] = {}
        for plan in self._plans:
            # Segment triggers also compare data.segmentId; keep them on the simple path.
            leaf = (
                _equality_leaf(plan.trigger_data.get("conditions")) if plan.trigger_type == "event" else None
            )
            if leaf is None:
                self._unindexed.append(plan)
            else:
                by_field.setdefault(leaf[0], {}).setdefault(leaf[1], []).append(plan)
        self._fields: list[tuple[Getter, dict[Hashable, list[Plan]]]] = [
            (compile_path(field), buckets) for field, buckets in by_field.items()
        ]

    @property
    def empty(self) -> bool:
        return not self._plans

    def candidates(self, scope: Scope) -> list[Plan]:
        """Plans whose trigger may match (a superset of the matching ones), in index order."""
        if not self._fields:
            return self._unindexed
        found = list(self._unindexed)
        for getter, buckets in self._fields:
            value = getter(scope)
            if value is MISSING:
                continue
            key = _value_key(value)
            if key is not None and key in buckets:
                found.extend(buckets[key])
        if len(found) > 1:
            found.sort(key=lambda p: self._order[id(p)])
        return found
