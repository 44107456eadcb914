"""POST /validate keeps what the engine says about each problem (severity, nodeId, edgeId), and warnings
never block create, update or activate."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.api.conftest import create, definition
from workflows.settings import Settings

pytestmark = pytest.mark.integration
BASE = "/api/v1/workflows"


@pytest.fixture
def api_settings(api_settings: Settings) -> Settings:
    """The bridge subscribes to a few subjects and one custom namespace (``events.order.>``) only."""
    subjects = "contact.created,contact.updated,form.submitted,events.order.>"
    return api_settings.model_copy(update={"bridge_subjects": subjects})


def _branching() -> dict[str, object]:
    """A condition with only its `true` branch wired, and an edge (with an id) to a missing node."""
    return definition(
        nodes=[
            {
                "id": "check",
                "type": "condition",
                "data": {"conditions": [{"field": "source", "operator": "equals", "value": "web"}]},
            },
            {"id": "mail", "type": "send_email", "data": {"templateId": "t"}},
        ],
        edges=[
            {"id": "e-start", "source": "trigger", "target": "check"},
            {"id": "e-yes", "source": "check", "target": "mail", "sourceHandle": "true"},
            {"id": "e-lost", "source": "mail", "target": "nowhere"},
        ],
    )


async def test_validate_keeps_severity_node_and_edge(client: httpx.AsyncClient, as_a: dict[str, str]) -> None:
    resp = await client.post(f"{BASE}/validate", json=_branching(), headers=as_a)
    assert resp.status_code == 200, resp.text
    data = resp.json()["data"]
    assert data["valid"] is False
    by_code = {p["code"]: p for p in data["problems"]}
    assert by_code["unknown_edge_target"]["edgeId"] == "e-lost"
    assert by_code["unknown_edge_target"]["severity"] == "error"
    missing = [p for p in data["problems"] if p.get("nodeId") == "check"]
    assert missing, data["problems"]
    assert all(p["severity"] == "error" for p in missing)


async def test_an_unsubscribed_trigger_type_is_a_warning_that_blocks_nothing(
    client: httpx.AsyncClient, as_a: dict[str, str]
) -> None:
    body = definition(trigger={"type": "event", "event": "invoice.paid"})
    resp = await client.post(f"{BASE}/validate", json=body, headers=as_a)
    data = resp.json()["data"]
    assert data["valid"] is True, data
    assert [(p["code"], p["severity"], p["path"]) for p in data["problems"]] == [
        ("unsubscribed_event_type", "warning", "$.trigger.event")
    ]
    # Subscribed types (a platform subject, form submissions, a custom type) warn about nothing.
    for event in ("form.submitted", "order.placed", "contact.created"):
        ok = await client.post(
            f"{BASE}/validate", json=definition(trigger={"type": "event", "event": event}), headers=as_a
        )
        assert ok.json()["data"] == {"valid": True, "problems": []}, event

    wf = await create(client, as_a, trigger={"type": "event", "event": "invoice.paid"})
    patched = await client.patch(
        f"{BASE}/{wf['id']}",
        json={"goals": [{"id": "g", "name": "paid", "event": "refund.issued"}]},
        headers=as_a,
    )
    assert patched.status_code == 200, patched.text
    activated = await client.post(f"{BASE}/{wf['id']}/activate", headers=as_a)
    assert activated.status_code == 200, activated.text
    assert activated.json()["data"]["status"] == "active"
