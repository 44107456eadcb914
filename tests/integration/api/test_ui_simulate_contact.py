"""Simulate with a sample contact and a `contact.created` event that carries no profile of its own: the run
sees the sample contact (the API's own example), not the empty profile the engine reads from empty data. An
event with its own profile keeps it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.api.conftest import create

pytestmark = pytest.mark.integration
BASE = "/api/v1/workflows"

# Pro contacts get the pro email, everyone else the basic one.
BRANCHING: dict[str, Any] = {
    "trigger": {"type": "event", "event": "contact.created"},
    "nodes": [
        {
            "id": "is-pro",
            "type": "condition",
            "data": {"conditions": [{"field": "attributes.plan", "operator": "equals", "value": "pro"}]},
        },
        {"id": "pro-mail", "type": "send_email", "data": {"templateId": "pro"}},
        {"id": "basic-mail", "type": "send_email", "data": {"templateId": "basic"}},
    ],
    "edges": [
        {"source": "trigger", "target": "is-pro"},
        {"source": "is-pro", "target": "pro-mail", "branch": "true"},
        {"source": "is-pro", "target": "basic-mail", "branch": "false"},
    ],
}
ADA = {"id": "c-ada", "email": "ada@example.com", "attributes": {"plan": "pro"}}


async def _simulate(client: httpx.AsyncClient, as_a: dict[str, str], wf: dict[str, Any], **body: Any) -> Any:
    resp = await client.post(f"{BASE}/{wf['id']}/simulate", json=body, headers=as_a)
    assert resp.status_code == 200, resp.text
    return resp.json()["data"]


async def test_an_event_without_data_runs_for_the_sample_contact(
    client: httpx.AsyncClient, as_a: dict[str, str]
) -> None:
    wf = await create(client, as_a, **BRANCHING)
    data = await _simulate(client, as_a, wf, contact=ADA, events=[{"type": "contact.created", "at": 0}])
    assert data["path"] == ["is-pro", "pro-mail"], data["path"]
    (run,) = data["runs"].values()
    assert run["status"] == "completed"


async def test_an_event_with_its_own_profile_keeps_it(
    client: httpx.AsyncClient, as_a: dict[str, str]
) -> None:
    wf = await create(client, as_a, **BRANCHING)
    basic = {"id": "c-ada", "email": "ada@other.example", "attributes": {"plan": "basic"}}
    with_contact = await _simulate(
        client,
        as_a,
        wf,
        contact=ADA,
        events=[{"type": "contact.created", "at": 0, "data": {"contact": basic}}],
    )
    assert with_contact["path"] == ["is-pro", "basic-mail"]
    as_profile = await _simulate(
        client, as_a, wf, contact=ADA, events=[{"type": "contact.created", "at": 0, "data": basic}]
    )
    assert as_profile["path"] == ["is-pro", "basic-mail"]
