"""Run routes over projected read models: list with filters, detail, stats, cancel, trigger, webhooks."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from api.projector.service import apply_batch
from streams.engine import run_id_for
from tests.integration.api.conftest import create, outbox_rows
from tests.integration.api.runs_helpers import T0, effects_for, run_events
from workflows.settings import Settings

pytestmark = pytest.mark.integration
BASE = "/api/v1/workflows"
DAY = 86_400_000


async def seeded(client: httpx.AsyncClient, headers: dict[str, str], engine: AsyncEngine) -> dict[str, Any]:
    """A workflow with three runs: c1 completed (day 0), c2 waiting in the delay (day 1), c3 completed."""
    wf = await create(client, headers)
    effects = effects_for(wf, contact="c1")
    effects += [
        e for e in effects_for(wf, contact="c2", start=T0 + DAY) if e["subject"] != "workflow.run.completed"
    ]
    # c2's journey is cut at the delay: keep only what happened before the timer fired.
    cut = [e for e in effects if e["contactId"] == "c2"]
    pending_index = next(i for i, e in enumerate(cut) if (e.get("step") or {}).get("status") == "pending")
    effects = [e for e in effects if e["contactId"] != "c2"] + cut[: pending_index + 1]
    effects += effects_for(wf, contact="c3", start=T0 + 2 * DAY)
    await apply_batch(engine, run_events(effects))
    return wf


async def test_list_runs_filters_and_pages(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine
) -> None:
    wf = await seeded(client, as_a, engine)
    url = f"{BASE}/{wf['id']}/runs"
    all_runs = (await client.get(url, headers=as_a)).json()["data"]
    assert [r["contactId"] for r in all_runs["items"]] == ["c3", "c2", "c1"]
    running = (await client.get(url, params={"status": "running"}, headers=as_a)).json()["data"]["items"]
    assert [r["contactId"] for r in running] == ["c2"]
    assert running[0]["currentNodeId"] == "node-2"
    by_contact = (await client.get(url, params={"contactId": "c1"}, headers=as_a)).json()["data"]["items"]
    assert [r["status"] for r in by_contact] == ["completed"]
    window = await client.get(
        url,
        params={"startedAfter": "2026-01-02T00:00:00Z", "startedBefore": "2026-01-03T00:00:00Z"},
        headers=as_a,
    )
    assert [r["contactId"] for r in window.json()["data"]["items"]] == ["c2"]
    page1 = (await client.get(url, params={"limit": 2}, headers=as_a)).json()["data"]
    page2 = (await client.get(url, params={"limit": 2, "cursor": page1["nextCursor"]}, headers=as_a)).json()[
        "data"
    ]
    assert [r["contactId"] for r in page1["items"] + page2["items"]] == ["c3", "c2", "c1"]
    assert page2["nextCursor"] is None
    assert (await client.get(url, params={"status": "bogus"}, headers=as_a)).status_code == 422
    assert (await client.get(f"{BASE}/{uuid.uuid4()}/runs", headers=as_a)).status_code == 404


async def test_run_detail_has_steps_and_resume_time(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine
) -> None:
    wf = await seeded(client, as_a, engine)
    runs = (await client.get(f"{BASE}/{wf['id']}/runs", params={"contactId": "c2"}, headers=as_a)).json()
    run_id = runs["data"]["items"][0]["id"]
    detail = (await client.get(f"{BASE}/{wf['id']}/runs/{run_id}", headers=as_a)).json()["data"]
    assert [(s["nodeId"], s["status"]) for s in detail["steps"]] == [
        ("node-1", "completed"),
        ("node-2", "pending"),
    ]
    assert detail["resumesAt"] == "2026-01-02T00:01:00Z"
    assert detail["steps"][1]["scheduledAt"] == "2026-01-02T00:01:00Z"
    missing = await client.get(f"{BASE}/{wf['id']}/runs/{uuid.uuid4()}", headers=as_a)
    assert missing.status_code == 404


async def test_stats_in_the_spec_shape(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine
) -> None:
    wf = await seeded(client, as_a, engine)
    stats = (await client.get(f"{BASE}/{wf['id']}/stats", headers=as_a)).json()["data"]
    assert stats == {
        "workflowId": wf["id"],
        "totalRuns": 3,
        "runningRuns": 1,
        "completedRuns": 2,
        "failedRuns": 0,
        "goalReachedRuns": 0,
        "conversionRate": 0.0,
        "avgDuration": 60,
        "cancelledRuns": 0,
        "exitedRuns": 0,
        "skippedEnrolments": 0,
        "nodeStats": {
            "node-1": {"executed": 3, "succeeded": 3, "failed": 0, "waiting": 0, "skipped": 0},
            "node-2": {"executed": 3, "succeeded": 2, "failed": 0, "waiting": 1, "skipped": 0},
            "node-3": {"executed": 2, "succeeded": 2, "failed": 0, "waiting": 0, "skipped": 0},
        },
    }
    empty = await create(client, as_a)
    zero = (await client.get(f"{BASE}/{empty['id']}/stats", headers=as_a)).json()["data"]
    assert zero["totalRuns"] == 0
    assert zero["nodeStats"] == {}


async def test_cancel_queues_an_envelope_keyed_by_contact(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine, api_settings: Settings
) -> None:
    wf = await seeded(client, as_a, engine)
    url = f"{BASE}/{wf['id']}/runs"
    running = (await client.get(url, params={"status": "running"}, headers=as_a)).json()["data"]["items"][0]
    resp = await client.post(f"{url}/{running['id']}/cancel", json={"reason": "test"}, headers=as_a)
    assert resp.status_code == 202
    again = await client.post(f"{url}/{running['id']}/cancel", headers=as_a)
    assert again.json()["data"]["eventId"] == resp.json()["data"]["eventId"]  # a retry is the same event
    rows = await outbox_rows(engine)
    assert [r.topic for r in rows] == [api_settings.events_topic] * 2
    assert rows[0].key == b"c2"
    envelope = orjson.loads(rows[0].value)
    assert envelope["type"] == "workflow.run.cancel_requested"
    assert envelope["data"] == {"runId": running["id"], "reason": "test"}
    assert envelope["tenantId"] == "tenant-a"
    assert envelope["contactId"] == "c2"
    done = (await client.get(url, params={"contactId": "c1"}, headers=as_a)).json()["data"]["items"][0]
    assert (await client.post(f"{url}/{done['id']}/cancel", headers=as_a)).status_code == 409
    assert (await client.post(f"{url}/{uuid.uuid4()}/cancel", headers=as_a)).status_code == 404


async def test_manual_trigger(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine, api_settings: Settings
) -> None:
    wf = await create(client, as_a)
    url = f"{BASE}/{wf['id']}/trigger"
    assert (await client.post(url, json={"contactId": "c9"}, headers=as_a)).status_code == 409  # draft
    await client.post(f"{BASE}/{wf['id']}/activate", headers=as_a)
    keyed = {**as_a, "Idempotency-Key": "order-42"}
    first = await client.post(url, json={"contactId": "c9", "data": {"plan": "pro"}}, headers=keyed)
    assert first.status_code == 202
    data = first.json()["data"]
    assert data["runId"] == run_id_for("tenant-a", wf["id"], "c9", data["eventId"])
    retry = await client.post(url, json={"contactId": "c9", "data": {"plan": "pro"}}, headers=keyed)
    assert retry.json()["data"]["eventId"] == data["eventId"]
    fresh = await client.post(url, json={"contactId": "c9"}, headers=as_a)
    assert fresh.json()["data"]["eventId"] != data["eventId"]
    rows = [r for r in await outbox_rows(engine) if r.topic == api_settings.events_topic]
    envelope = orjson.loads(rows[0].value)
    assert envelope["type"] == "workflow.trigger.manual"
    assert envelope["data"] == {"plan": "pro", "workflowId": wf["id"]}
    assert rows[0].key == b"c9"
    assert (await client.post(url, json={}, headers=as_a)).status_code == 422


async def test_webhook_trigger_by_token(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine, api_settings: Settings
) -> None:
    wf = await create(client, as_a, trigger={"type": "webhook"})
    hook = f"/api/v1/hooks/{wf['webhookToken']}"
    assert (await client.post(hook, json={"contactId": "c1"})).status_code == 409  # draft
    await client.post(f"{BASE}/{wf['id']}/activate", headers=as_a)
    resp = await client.post(hook, json={"contactId": "c1", "data": {"form": "signup"}})
    assert resp.status_code == 202
    envelope = orjson.loads(
        next(r for r in await outbox_rows(engine) if r.topic == api_settings.events_topic).value
    )
    assert envelope["type"] == "workflow.trigger.webhook"
    assert envelope["tenantId"] == "tenant-a"
    assert envelope["data"] == {"form": "signup", "workflowId": wf["id"]}
    assert (await client.post("/api/v1/hooks/" + "x" * 43, json={"contactId": "c1"})).status_code == 404
    assert (await client.post(hook, json={"data": {}})).status_code == 422
    plain = await create(client, as_a)
    assert plain["webhookToken"] is None
