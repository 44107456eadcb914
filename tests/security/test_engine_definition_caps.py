"""Definition caps reach the API: an oversized definition is a 422 with the engine's problem list."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.api.conftest import definition

BASE = "/api/v1/workflows"


def leaf(i: int) -> dict[str, Any]:
    return {"field": "contact.attributes.plan", "operator": "equals", "value": f"p{i}"}


def problems(resp: httpx.Response) -> set[tuple[str, str]]:
    assert resp.status_code == 422, resp.text
    return {(p["path"], p["code"]) for p in resp.json()["error"]["details"]}


async def test_5000_trigger_conditions_are_422(client: httpx.AsyncClient, as_a: dict[str, str]) -> None:
    trigger = {"type": "event", "event": "contact.created", "conditions": [leaf(i) for i in range(5000)]}
    resp = await client.post(BASE, json=definition(trigger=trigger), headers=as_a)
    assert problems(resp) == {("$.trigger.conditions", "too_many_conditions")}
    assert (await client.get(BASE, headers=as_a)).json()["data"]["items"] == []  # nothing was stored


@pytest.mark.parametrize(("key", "value"), [("timeoutMs", 3_600_000), ("actionTimeoutMs", 10**12)])
async def test_unbounded_timeouts_are_422(
    client: httpx.AsyncClient, as_a: dict[str, str], key: str, value: int
) -> None:
    hook = {"id": "hook", "type": "webhook", "data": {"url": "https://api.example.com/x", key: value}}
    body = definition(nodes=[hook], edges=[{"source": "trigger", "target": "hook"}])
    resp = await client.post(BASE, json=body, headers=as_a)
    assert problems(resp) == {(f"$.nodes[0].data.{key}", "timeout_out_of_range")}


async def test_validate_endpoint_reports_the_cap(client: httpx.AsyncClient, as_a: dict[str, str]) -> None:
    goals = [{"id": f"g{i}", "event": "pipeline.message.clicked"} for i in range(50)]
    resp = await client.post(f"{BASE}/validate", json=definition(goals=goals), headers=as_a)
    body = resp.json()
    assert ("$.goals", "too_many_goals") in {(p["path"], p["code"]) for p in _details(body)}, body


def _details(body: dict[str, Any]) -> list[dict[str, str]]:
    data = body.get("data")
    if isinstance(data, dict) and "problems" in data:
        return list(data["problems"])
    return list(body.get("error", {}).get("details", []))
