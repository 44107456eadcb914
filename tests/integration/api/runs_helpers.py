"""Run events as the worker emits them: the engine's own simulation of a stored workflow."""

from __future__ import annotations

from typing import Any

import orjson

from api.projector.events import RunEvent, decode
from streams.engine import simulate

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
DAY_MS = 86_400_000


def effects_for(
    workflow: dict[str, Any],
    *,
    contact: str,
    events: list[dict[str, Any]] | None = None,
    start: int = T0,
) -> list[dict[str, Any]]:
    """Every effect dict (as on workflows.out) of one contact's simulated journey."""
    raw = {
        "id": workflow["id"],
        "tenantId": workflow["tenantId"],
        "version": workflow["version"],
        "status": "active",
        **{k: workflow[k] for k in ("trigger", "nodes", "edges", "goals", "settings")},
    }
    journey = events or [{"type": "contact.created", "at": 0, "id": f"evt-{contact}"}]
    result = simulate(raw, {"id": contact}, journey, start)
    return [e.to_dict() for e in result.effects]


def run_events(effects: list[dict[str, Any]]) -> list[RunEvent]:
    out = []
    for effect in effects:
        event = decode(orjson.dumps(effect))
        if event is not None:
            out.append(event)
    return out
