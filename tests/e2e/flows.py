"""Definition builders and message filters shared by the end-to-end tests."""

from __future__ import annotations

import itertools
import uuid
from typing import Any


def node(node_id: str, kind: str, **data: Any) -> dict[str, Any]:
    return {"id": node_id, "type": kind, "position": {"x": 0, "y": 0}, "data": data}


def chain(*ids: str) -> list[dict[str, str]]:
    return [{"source": a, "target": b} for a, b in itertools.pairwise(["trigger", *ids])]


def flat(message: dict[str, Any]) -> dict[str, Any]:
    """A published envelope's data with the envelope's own fields (id, type, tenantId, contactId,
    occurredAt) beside it."""
    return {**message.get("data", {}), **{k: v for k, v in message.items() if k != "data"}}


def of(messages: list[Any], subject: str, **match: Any) -> list[dict[str, Any]]:
    """Messages published on `subject`, flattened, whose fields equal `match`."""
    found = [flat(m) for s, m, _ in messages if s == subject]
    return [m for m in found if all(m.get(k) == v for k, v in match.items())]


def contact() -> str:
    return f"c-{uuid.uuid4().hex[:10]}"


def on_created(*nodes: dict[str, Any], name: str = "flow", **extra: Any) -> dict[str, Any]:
    """A workflow started by contact.created whose nodes run in a chain."""
    return {
        "name": name,
        "trigger": {"type": "event", "event": "contact.created"},
        "nodes": list(nodes),
        "edges": chain(*(n["id"] for n in nodes)),
        **extra,
    }
