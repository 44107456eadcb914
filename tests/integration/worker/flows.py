"""Definitions the worker tests run: the spec's example (a delay of seconds instead of a day)."""

from __future__ import annotations

import itertools
from typing import Any

GOAL = {
    "id": "goal-1",
    "name": "Purchased",
    "event": "contact.attribute_changed",
    "conditions": [{"field": "attributes.has_purchased", "operator": "equals", "value": True}],
}


def node(node_id: str, kind: str, **data: Any) -> dict[str, Any]:
    return {"id": node_id, "type": kind, "position": {"x": 0, "y": 0}, "data": data}


def workflow(workflow_id: str, nodes: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    ids = ["trigger"] + [n["id"] for n in nodes]
    return {
        "id": workflow_id,
        "tenantId": "t1",
        "version": 1,
        "status": "active",
        "trigger": {"type": "event", "event": "contact.created"},
        "nodes": nodes,
        "edges": [{"source": a, "target": b} for a, b in itertools.pairwise(ids)],
        "goals": [],
        "settings": {},
        **extra,
    }


def onboarding(workflow_id: str, *, delay_s: int = 2, source: str = "website_signup") -> dict[str, Any]:
    return workflow(
        workflow_id,
        [
            node("node-1", "send_email", templateId="tpl-1", fromName="Acme", fromEmail="hello@acme.com"),
            node("node-2", "delay", duration=delay_s, unit="seconds"),
            node(
                "node-3",
                "condition",
                conditions=[{"field": "hasOpened", "operator": "equals", "value": True}],
            ),
        ],
        trigger={
            "type": "event",
            "event": "contact.created",
            "conditions": [{"field": "source", "operator": "equals", "value": source}],
        },
        goals=[GOAL],
    )
