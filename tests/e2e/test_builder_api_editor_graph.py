"""A definition shaped as the builder saves it (edges with ids and `sourceHandle` as the branch, no
`branch`; every node with a position) validates with no problem and runs the branches it draws."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Api, Observer
from tests.e2e.flows import contact, of

pytestmark = pytest.mark.integration


def _node(node_id: str, kind: str, x: int, y: int, **data: Any) -> dict[str, Any]:
    return {"id": node_id, "type": kind, "position": {"x": x, "y": y}, "data": data}


def _edge(source: str, target: str, handle: str | None = None) -> dict[str, Any]:
    edge: dict[str, Any] = {
        "id": f"e-{source}-{handle or 'out'}-{target}",
        "source": source,
        "target": target,
    }
    if handle is not None:
        edge["sourceHandle"] = handle
    return edge


def _editor_graph() -> dict[str, Any]:
    return {
        "name": "drawn in the builder",
        "trigger": {"type": "event", "event": "contact.created"},
        "nodes": [
            _node(
                "is-pro",
                "condition",
                240,
                80,
                conditions=[{"field": "plan", "operator": "equals", "value": "pro"}],
            ),
            _node(
                "tier",
                "switch",
                120,
                200,
                field="tier",
                cases=[{"id": "gold", "value": "gold"}, {"id": "silver", "value": "silver"}],
            ),
            _node(
                "ab",
                "split",
                360,
                200,
                variants=[{"id": "only", "percentage": 100}, {"id": "never", "percentage": 0}],
            ),
            _node("gold-mail", "send_email", 0, 320, templateId="t-gold"),
            _node("silver-mail", "send_email", 120, 320, templateId="t-silver"),
            _node("other-mail", "send_email", 240, 320, templateId="t-other"),
            _node("free-mail", "send_email", 360, 320, templateId="t-free"),
            _node("never-mail", "send_email", 480, 320, templateId="t-never"),
        ],
        "edges": [
            _edge("trigger", "is-pro"),
            _edge("is-pro", "tier", "true"),
            _edge("is-pro", "ab", "false"),
            # Cases listed out of order on purpose: the handle id, never the position, picks the branch.
            _edge("tier", "silver-mail", "silver"),
            _edge("tier", "other-mail", "default"),
            _edge("tier", "gold-mail", "gold"),
            _edge("ab", "free-mail", "only"),
            _edge("ab", "never-mail", "never"),
        ],
        "goals": [],
        "settings": {"reEntry": "always"},
    }


async def test_an_editor_shaped_graph_validates_and_runs_its_branches(api: Api, nats_io: Observer) -> None:
    definition = _editor_graph()
    assert all("branch" not in e for e in definition["edges"])
    checked = api.call("POST", "/validate", json=definition)
    assert checked == {"valid": True, "problems": []}

    wf = api.create_active(definition)
    assert wf["edges"] == definition["edges"]  # stored as drawn: the builder reopens it unchanged
    assert [n["position"] for n in wf["nodes"]] == [n["position"] for n in definition["nodes"]]

    people = {
        contact(): ({"plan": "pro", "tier": "gold"}, "t-gold"),
        contact(): ({"plan": "pro", "tier": "silver"}, "t-silver"),
        contact(): ({"plan": "pro", "tier": "bronze"}, "t-other"),
        contact(): ({"plan": "free"}, "t-free"),
    }
    for who, (profile, _template) in people.items():
        await nats_io.publish("contact.created", api.tenant, who, {"contact": profile})
    seen = await nats_io.wait_for(
        lambda ms: all(of(ms, "workflow.run.completed", contactId=c) for c in people), what="four runs"
    )
    sent = {c: [m["templateId"] for m in of(seen, "pipeline.message.send", contactId=c)] for c in people}
    assert sent == {c: [template] for c, (_profile, template) in people.items()}
