"""GET/PUT /api/v1/policies/frequency-caps: validated with the engine's paths, stored per tenant, and
published to the definitions topic through the outbox in the same transaction."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.api.conftest import create, outbox_rows
from workflows.settings import Settings

pytestmark = pytest.mark.integration
URL = "/api/v1/policies/frequency-caps"
POLICY = {"caps": [{"channel": "email", "limit": 3, "window": {"amount": 7, "unit": "days"}, "reserved": 1}]}


@pytest.fixture(autouse=True)
async def _no_policies(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("TRUNCATE tenant_policies"))


async def _get(client: httpx.AsyncClient, headers: dict[str, str]) -> Any:
    resp = await client.get(URL, headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()["data"]


async def test_a_tenant_without_a_policy_reads_an_empty_one(
    client: httpx.AsyncClient, as_a: dict[str, str]
) -> None:
    assert await _get(client, as_a) == {"caps": [], "updatedAt": None}


async def test_put_stores_and_publishes_in_one_transaction(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine, api_settings: Settings
) -> None:
    resp = await client.put(URL, json=POLICY, headers=as_a)
    assert resp.status_code == 200, resp.text
    assert resp.json()["data"]["caps"] == POLICY["caps"]
    read = await _get(client, as_a)
    assert read["caps"] == POLICY["caps"]
    assert read["updatedAt"] is not None
    [row] = await outbox_rows(engine)
    assert row.topic == api_settings.definitions_topic
    assert row.key == b"policy:tenant-a:frequency-caps"
    assert orjson.loads(row.value) == POLICY

    # Replaced, and published again under the same key: the compacted topic keeps the latest.
    lifted: dict[str, Any] = {"caps": []}
    assert (await client.put(URL, json=lifted, headers=as_a)).status_code == 200
    assert (await _get(client, as_a))["caps"] == []
    rows = await outbox_rows(engine)
    assert [r.key for r in rows] == [b"policy:tenant-a:frequency-caps"] * 2
    assert orjson.loads(rows[1].value) == lifted


async def test_the_reserved_share_defaults_to_zero(client: httpx.AsyncClient, as_a: dict[str, str]) -> None:
    cap = {"channel": "sms", "limit": 1, "window": {"amount": 1, "unit": "days"}}
    resp = await client.put(URL, json={"caps": [cap]}, headers=as_a)
    assert resp.status_code == 200, resp.text
    assert (await _get(client, as_a))["caps"] == [{**cap, "reserved": 0}]


@pytest.mark.parametrize(
    ("cap", "paths"),
    [
        ({"channel": "fax", "limit": 3, "window": {"amount": 1, "unit": "days"}}, ["$.caps[1].channel"]),
        ({"channel": "email", "limit": 0, "window": {"amount": 1, "unit": "days"}}, ["$.caps[1].limit"]),
        ({"channel": "email", "limit": 3, "window": {"amount": 91, "unit": "days"}}, ["$.caps[1].window"]),
        (
            {"channel": "email", "limit": 3, "window": {"amount": 1, "unit": "days"}, "reserved": 3},
            ["$.caps[1].reserved"],
        ),
        ({"channel": "email", "limit": "3", "window": {"amount": 1, "unit": "days"}}, ["$.caps[1].limit"]),
        (
            {"channel": "email", "limit": 3, "window": {"amount": 1, "unit": "days"}, "burst": 2},
            ["$.caps[1].burst"],
        ),
    ],
)
async def test_an_invalid_policy_is_a_422_with_paths_and_changes_nothing(
    client: httpx.AsyncClient,
    as_a: dict[str, str],
    engine: AsyncEngine,
    cap: dict[str, Any],
    paths: list[str],
) -> None:
    assert (await client.put(URL, json=POLICY, headers=as_a)).status_code == 200
    before = await outbox_rows(engine)
    resp = await client.put(URL, json={"caps": [POLICY["caps"][0], cap]}, headers=as_a)
    assert resp.status_code == 422, resp.text
    body = resp.json()
    assert body["success"] is False
    assert [p["path"] for p in body["error"]["details"]] == paths
    assert (await _get(client, as_a))["caps"] == POLICY["caps"]
    assert await outbox_rows(engine) == before


async def test_too_many_caps_are_refused(client: httpx.AsyncClient, as_a: dict[str, str]) -> None:
    resp = await client.put(URL, json={"caps": POLICY["caps"] * 21}, headers=as_a)
    assert resp.status_code == 422, resp.text
    assert [p["path"] for p in resp.json()["error"]["details"]] == ["$.caps"]


async def test_tenants_see_and_replace_only_their_own_policy(
    client: httpx.AsyncClient, as_a: dict[str, str], as_b: dict[str, str], engine: AsyncEngine
) -> None:
    theirs = {
        "caps": [{"channel": "push", "limit": 5, "window": {"amount": 1, "unit": "hours"}, "reserved": 0}]
    }
    assert (await client.put(URL, json=POLICY, headers=as_a)).status_code == 200
    assert await _get(client, as_b) == {"caps": [], "updatedAt": None}
    assert (await client.put(URL, json=theirs, headers=as_b)).status_code == 200
    assert (await _get(client, as_a))["caps"] == POLICY["caps"]
    assert (await _get(client, as_b))["caps"] == theirs["caps"]
    rows = await outbox_rows(engine)
    assert [r.key for r in rows] == [b"policy:tenant-a:frequency-caps", b"policy:tenant-b:frequency-caps"]


async def test_without_a_token_it_is_a_401(client: httpx.AsyncClient) -> None:
    assert (await client.get(URL)).status_code == 401
    assert (await client.put(URL, json=POLICY)).status_code == 401


async def test_simulate_counts_its_sends_against_the_tenants_caps(
    client: httpx.AsyncClient, as_a: dict[str, str], as_b: dict[str, str]
) -> None:
    two_emails = {
        "nodes": [
            {"id": "m1", "type": "send_email", "position": {"x": 0, "y": 0}, "data": {"templateId": "t1"}},
            {"id": "m2", "type": "send_email", "position": {"x": 0, "y": 0}, "data": {"templateId": "t2"}},
        ],
        "edges": [{"source": "trigger", "target": "m1"}, {"source": "m1", "target": "m2"}],
    }
    body = {"contact": {"email": "a@example.com"}, "events": [{"type": "contact.created", "at": 0}]}
    one_a_day = {"caps": [{"channel": "email", "limit": 1, "window": {"amount": 1, "unit": "days"}}]}
    assert (await client.put(URL, json=one_a_day, headers=as_a)).status_code == 200

    async def simulated_steps(headers: dict[str, str]) -> list[tuple[str, str]]:
        wf = await create(client, headers, **two_emails)
        resp = await client.post(f"/api/v1/workflows/{wf['id']}/simulate", json=body, headers=headers)
        assert resp.status_code == 200, resp.text
        effects = resp.json()["data"]["effects"]
        return [(e["step"]["nodeId"], e["step"]["status"]) for e in effects if e.get("step")]

    assert ("m2", "skipped") in await simulated_steps(as_a)  # the second email is over the cap
    assert ("m2", "completed") in await simulated_steps(as_b)  # tenant b has no policy
