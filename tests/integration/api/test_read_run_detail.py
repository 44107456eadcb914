"""A run you can read: run detail shows the run's context (variables, a summary of HTTP responses, within a
budget), the triggering event with its data (secrets redacted), and a message step's input as sent."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from api.projector.service import apply_batch
from streams.engine import run_id_for, simulate
from tests.integration.api.conftest import create
from tests.integration.api.runs_helpers import T0, run_events

pytestmark = pytest.mark.integration
BASE = "/api/v1/workflows"

NODES = [
    {
        "id": "node-1",
        "type": "send_email",
        "data": {
            "templateId": "tpl-welcome",
            "fromName": "{{contact.attributes.company}} Team",
            "variables": {"firstName": "{{contact.attributes.first_name}}", "plan": "{{event.data.plan}}"},
            "apiKey": "sk-live-123",
        },
    },
    {"id": "node-2", "type": "webhook", "data": {"url": "https://crm.example.com/hook", "method": "POST"}},
    {"id": "node-3", "type": "add_tag", "data": {"tag": "welcomed"}},
]
EDGES = [
    {"source": "trigger", "target": "node-1"},
    {"source": "node-1", "target": "node-2"},
    {"source": "node-2", "target": "node-3"},
]
PROFILE = {"email": "ada@example.com", "attributes": {"first_name": "Ada", "company": "Acme"}}


def _effects(wf: dict[str, Any], *, contact: str, body: Any) -> tuple[str, list[dict[str, Any]]]:
    """A contact.created run whose webhook answers ``body`` (as the executor reports a kept response)."""
    raw = {
        "id": wf["id"],
        "tenantId": wf["tenantId"],
        "version": wf["version"],
        "status": "active",
        **{k: wf[k] for k in ("trigger", "nodes", "edges", "goals", "settings")},
    }
    run_id = run_id_for(wf["tenantId"], wf["id"], contact, f"evt-{contact}")
    journey = [
        {
            "type": "contact.created",
            "at": 0,
            "id": f"evt-{contact}",
            "data": {"contact": PROFILE, "plan": "pro", "password": "hunter2", "utm": {"source": "ads"}},
        },
        {
            "type": "workflow.action.completed",
            "at": 1000,
            "id": f"done-{contact}",
            "data": {
                "runId": run_id,
                "nodeId": "node-2",
                "idempotencyKey": f"{run_id}:node-2:1",
                "output": {"status": 201, "body": body, "truncated": False, "durationMs": 12},
            },
        },
    ]
    result = simulate(raw, {"id": contact, **PROFILE}, journey, T0, auto_complete_actions=False)
    return run_id, [e.to_dict() for e in result.effects]


async def _detail(client: httpx.AsyncClient, headers: dict[str, str], wf: dict[str, Any], run_id: str) -> Any:
    resp = await client.get(f"{BASE}/{wf['id']}/runs/{run_id}", headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()["data"]


async def test_run_detail_shows_context_trigger_data_and_what_a_message_sent(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine
) -> None:
    wf = await create(client, as_a, nodes=NODES, edges=EDGES)
    run_id, effects = _effects(wf, contact="c1", body={"id": "crm-9", "token": "t0p-secret"})
    await apply_batch(engine, run_events(effects))
    detail = await _detail(client, as_a, wf, run_id)

    assert detail["status"] == "completed"
    assert detail["triggerEvent"]["id"] == "evt-c1"
    assert detail["triggerEvent"]["type"] == "contact.created"
    # The event's data without the profile (the run reads that from the contact), secrets redacted.
    assert detail["triggerEvent"]["data"] == {"plan": "pro", "password": "***", "utm": {"source": "ads"}}
    context = detail["context"]
    assert context["variables"] == {
        "node-2": {
            "status": 201,
            "body": {"id": "crm-9", "token": "***"},
            "truncated": False,
            "durationMs": 12,
        }
    }
    assert context["responses"] == {"node-2": {"status": 201, "durationMs": 12, "truncated": False}}
    assert (context["hasOpened"], context["hasClicked"]) == (False, False)
    message = next(s for s in detail["steps"] if s["nodeId"] == "node-1")
    assert message["input"] == {
        "channel": "email",
        "templateId": "tpl-welcome",
        "fromName": "Acme Team",
        "params": {"variables": {"firstName": "Ada", "plan": "pro"}, "apiKey": "***"},
    }
    # What the pipeline got is the same rendering, with the real key.
    sent = next(e for e in effects if e["kind"] == "send_message")
    assert (sent["fromName"], sent["params"]["variables"], sent["params"]["apiKey"]) == (
        "Acme Team",
        {"firstName": "Ada", "plan": "pro"},
        "sk-live-123",
    )


async def test_a_large_response_leaves_the_context_within_its_budget(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine
) -> None:
    wf = await create(client, as_a, nodes=NODES, edges=EDGES)
    big = {"rows": ["x" * 100 for _ in range(150)]}  # 15 KB: kept by the run, too much for its context
    run_id, effects = _effects(wf, contact="c2", body=big)
    for effect in effects:
        if effect["kind"] == "run_event":
            assert len(orjson.dumps(effect["run"]["context"])) <= 8 * 1024
    await apply_batch(engine, run_events(effects))
    context = (await _detail(client, as_a, wf, run_id))["context"]
    assert context["truncated"] is True
    assert context["responses"] == {"node-2": {"status": 201, "durationMs": 12, "truncated": False}}
    assert context["variables"]["node-2"] == {
        "status": 201,
        "durationMs": 12,
        "body": None,
        "truncated": True,
    }
