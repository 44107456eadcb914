"""Authoring routes: create, list, get, update, delete, status machine, versions, validate, simulate."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.api.conftest import create, definition, outbox_rows
from workflows.settings import Settings

pytestmark = pytest.mark.integration
BASE = "/api/v1/workflows"


async def test_create_returns_the_envelope_and_a_draft(
    client: httpx.AsyncClient, as_a: dict[str, str]
) -> None:
    resp = await client.post(BASE, json=definition(), headers=as_a)
    assert resp.status_code == 201
    body = resp.json()
    assert body["success"] is True
    data = body["data"]
    assert data["status"] == "draft"
    assert data["version"] == 1
    assert data["tenantId"] == "tenant-a"
    assert data["createdBy"] == "7b0c5a52-9a7e-4c8e-8f35-1f2a3b4c5d6e"
    assert data["nodes"][0]["id"] == "node-1"
    assert data["webhookToken"] is None


async def test_create_lists_every_problem_with_its_path(
    client: httpx.AsyncClient, as_a: dict[str, str]
) -> None:
    bad = definition(
        trigger={"type": "nope"},
        nodes=[{"id": "a", "type": "send_email", "data": {}}, {"id": "a", "type": "teleport", "data": {}}],
        edges=[{"source": "trigger", "target": "zzz"}],
    )
    resp = await client.post(BASE, json=bad, headers=as_a)
    assert resp.status_code == 422
    error = resp.json()["error"]
    assert resp.json()["success"] is False
    assert error["code"] == "validation_failed"
    paths = {p["path"] for p in error["details"]}
    assert {"$.trigger.type", "$.nodes[1].type"} <= paths
    assert len(error["details"]) >= 4


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "x", "trigger": "not-an-object"},
        {"name": "x", "trigger": {}, "nodes": "nope"},
        {"name": "x" * 300, "trigger": {"type": "manual"}},
        {"name": "x", "trigger": {"type": "manual"}, "unknown": 1},
    ],
)
async def test_malformed_bodies_are_422_with_paths(
    client: httpx.AsyncClient, as_a: dict[str, str], body: dict[str, Any]
) -> None:
    resp = await client.post(BASE, json=body, headers=as_a)
    assert resp.status_code == 422, resp.text
    assert resp.json()["error"]["details"]
    assert all(p["path"].startswith("$") for p in resp.json()["error"]["details"])


async def test_non_json_body_is_422(client: httpx.AsyncClient, as_a: dict[str, str]) -> None:
    resp = await client.post(BASE, content=b"{not json", headers={**as_a, "content-type": "application/json"})
    assert resp.status_code == 422


@pytest.mark.parametrize("header", [None, "Bearer", "Basic abc", "Bearer not.a.jwt"])
async def test_auth_is_required(client: httpx.AsyncClient, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    resp = await client.get(BASE, headers=headers)
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "unauthorized"


async def test_list_filters_and_paginates(client: httpx.AsyncClient, as_a: dict[str, str]) -> None:
    ids = [(await create(client, as_a, name=f"flow {i}"))["id"] for i in range(5)]
    await client.post(f"{BASE}/{ids[0]}/activate", headers=as_a)
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get(BASE, params=params, headers=as_a)).json()["data"]
        seen += [w["id"] for w in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))
    active = (await client.get(BASE, params={"status": "active"}, headers=as_a)).json()["data"]["items"]
    assert [w["id"] for w in active] == [ids[0]]
    named = (await client.get(BASE, params={"q": "FLOW 3"}, headers=as_a)).json()["data"]["items"]
    assert [w["id"] for w in named] == [ids[3]]
    typed = await client.get(BASE, params={"triggerType": "webhook"}, headers=as_a)
    assert typed.json()["data"]["items"] == []


@pytest.mark.parametrize("cursor", ["garbage", "e30", "WyJ4IiwgInkiXQ", "1.xyz", "99999999999999999.0"])
async def test_a_bad_cursor_is_422(client: httpx.AsyncClient, as_a: dict[str, str], cursor: str) -> None:
    resp = await client.get(BASE, params={"cursor": cursor}, headers=as_a)
    assert resp.status_code == 422
    assert resp.json()["error"]["details"][0]["path"] == "$.cursor"


async def test_get_and_not_found(client: httpx.AsyncClient, as_a: dict[str, str]) -> None:
    wf = await create(client, as_a)
    got = await client.get(f"{BASE}/{wf['id']}", headers=as_a)
    assert got.status_code == 200
    assert got.json()["data"]["id"] == wf["id"]
    missing = await client.get(f"{BASE}/{uuid.uuid4()}", headers=as_a)
    assert missing.status_code == 404
    assert missing.json() == {
        "success": False,
        "error": {"code": "not_found", "message": missing.json()["error"]["message"], "details": None},
    }
    assert (await client.get(f"{BASE}/not-a-uuid", headers=as_a)).status_code == 404  # no such path


async def test_rename_keeps_the_version_and_content_change_makes_a_new_one(
    client: httpx.AsyncClient, as_a: dict[str, str]
) -> None:
    wf = await create(client, as_a)
    renamed = await client.patch(f"{BASE}/{wf['id']}", json={"name": "Renamed"}, headers=as_a)
    assert renamed.status_code == 200
    assert renamed.json()["data"]["version"] == 1
    nodes = definition()["nodes"]
    nodes[1]["data"]["duration"] = 120
    changed = await client.patch(
        f"{BASE}/{wf['id']}", json={"nodes": nodes, "changelog": "longer"}, headers=as_a
    )
    assert changed.json()["data"]["version"] == 2
    versions = (await client.get(f"{BASE}/{wf['id']}/versions", headers=as_a)).json()["data"]
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[0]["changelog"] == "longer"
    assert versions[1]["nodes"][1]["data"]["duration"] == 60


async def test_update_validates_and_rejects_nulls(client: httpx.AsyncClient, as_a: dict[str, str]) -> None:
    wf = await create(client, as_a)
    bad = await client.patch(
        f"{BASE}/{wf['id']}", json={"edges": [{"source": "x", "target": "y"}]}, headers=as_a
    )
    assert bad.status_code == 422
    assert any(p["path"].startswith("$.edges") for p in bad.json()["error"]["details"])
    null = await client.patch(f"{BASE}/{wf['id']}", json={"name": None}, headers=as_a)
    assert null.status_code == 422


async def test_status_machine(client: httpx.AsyncClient, as_a: dict[str, str]) -> None:
    wf = await create(client, as_a)
    url = f"{BASE}/{wf['id']}"
    assert (await client.post(f"{url}/pause", headers=as_a)).status_code == 409
    assert (await client.post(f"{url}/activate", headers=as_a)).json()["data"]["status"] == "active"
    again = await client.post(f"{url}/activate", headers=as_a)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "invalid_status_transition"
    assert (await client.delete(url, headers=as_a)).status_code == 409  # pause first
    assert (await client.post(f"{url}/pause", headers=as_a)).json()["data"]["status"] == "paused"
    assert (await client.post(f"{url}/activate", headers=as_a)).json()["data"]["status"] == "active"
    assert (await client.post(f"{url}/pause", headers=as_a)).status_code == 200
    deleted = await client.delete(url, headers=as_a)
    assert deleted.status_code == 200
    assert deleted.json()["data"]["status"] == "archived"
    assert (await client.get(url, headers=as_a)).status_code == 404
    assert (await client.delete(url, headers=as_a)).status_code == 404
    assert (await client.get(BASE, headers=as_a)).json()["data"]["items"] == []


async def test_a_draft_can_be_deleted(client: httpx.AsyncClient, as_a: dict[str, str]) -> None:
    wf = await create(client, as_a)
    assert (await client.delete(f"{BASE}/{wf['id']}", headers=as_a)).status_code == 200


async def test_publication_follows_status_and_versions(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine, api_settings: Settings
) -> None:
    wf = await create(client, as_a)
    await client.patch(
        f"{BASE}/{wf['id']}", json={"goals": []}, headers=as_a
    )  # unchanged content: no version
    assert await outbox_rows(engine) == []  # drafts are not published
    await client.post(f"{BASE}/{wf['id']}/activate", headers=as_a)
    nodes = definition()["nodes"][:1]
    edges = definition()["edges"][:1]
    await client.patch(f"{BASE}/{wf['id']}", json={"nodes": nodes, "edges": edges}, headers=as_a)
    await client.post(f"{BASE}/{wf['id']}/pause", headers=as_a)
    rows = await outbox_rows(engine)
    assert {r.topic for r in rows} == {api_settings.definitions_topic}
    keys = [r.key.decode() for r in rows]
    wid = wf["id"]
    assert keys == [f"{wid}:1", f"{wid}:active", f"{wid}:2", f"{wid}:active", f"{wid}:active"]
    v2 = orjson.loads(rows[2].value)
    assert v2["version"] == 2
    assert v2["tenantId"] == "tenant-a"
    assert [n["id"] for n in v2["nodes"]] == ["node-1"]
    pointers = [orjson.loads(rows[i].value) for i in (1, 3, 4)]
    assert [(p["version"], p["status"]) for p in pointers] == [(1, "active"), (2, "active"), (None, "paused")]


async def test_revert_makes_a_new_version_with_old_content(
    client: httpx.AsyncClient, as_a: dict[str, str]
) -> None:
    wf = await create(client, as_a)
    url = f"{BASE}/{wf['id']}"
    await client.patch(
        url, json={"nodes": definition()["nodes"][:1], "edges": definition()["edges"][:1]}, headers=as_a
    )
    reverted = await client.post(f"{url}/versions/1/revert", headers=as_a)
    assert reverted.status_code == 200
    data = reverted.json()["data"]
    assert data["version"] == 3
    assert [n["id"] for n in data["nodes"]] == ["node-1", "node-2", "node-3"]
    versions = (await client.get(f"{url}/versions", headers=as_a)).json()["data"]
    assert versions[0]["changelog"] == "reverted to version 1"
    assert (await client.post(f"{url}/versions/9/revert", headers=as_a)).status_code == 404
    assert (await client.post(f"{url}/versions/0/revert", headers=as_a)).status_code == 422


async def test_validate_reports_every_problem(client: httpx.AsyncClient, as_a: dict[str, str]) -> None:
    ok = await client.post(f"{BASE}/validate", json=definition(), headers=as_a)
    assert ok.json()["data"] == {"valid": True, "problems": []}
    bad = await client.post(
        f"{BASE}/validate",
        json={"trigger": {"type": "event"}, "nodes": [{"id": "n", "type": "delay"}]},
        headers=as_a,
    )
    data = bad.json()["data"]
    assert data["valid"] is False
    assert {"$.trigger.event"} <= {p["path"] for p in data["problems"]}
    assert (await client.post(f"{BASE}/validate", json=[1], headers=as_a)).status_code == 422


async def test_simulate_runs_the_engine(client: httpx.AsyncClient, as_a: dict[str, str]) -> None:
    wf = await create(client, as_a)
    body = {
        "contact": {"id": "c-1", "email": "a@example.com"},
        "events": [{"type": "contact.created", "at": 0}],
    }
    resp = await client.post(f"{BASE}/{wf['id']}/simulate", json=body, headers=as_a)
    assert resp.status_code == 200, resp.text
    data = resp.json()["data"]
    assert data["path"] == ["node-1", "node-2", "node-3"]
    assert [r["status"] for r in data["runs"].values()] == ["completed"]
    bad = await client.post(f"{BASE}/{wf['id']}/simulate", json={"events": [{"at": 0}]}, headers=as_a)
    assert bad.status_code == 422
    weird = await client.post(
        f"{BASE}/{wf['id']}/simulate",
        json={"events": [{"type": "x", "occurredAt": "yesterday"}]},
        headers=as_a,
    )
    assert weird.status_code in (200, 422)
    assert (
        await client.post(f"{BASE}/{wf['id']}/simulate", json={"version": 7}, headers=as_a)
    ).status_code == 404


async def test_webhook_workflows_get_a_token(client: httpx.AsyncClient, as_a: dict[str, str]) -> None:
    wf = await create(client, as_a, trigger={"type": "webhook"})
    assert wf["webhookToken"]
    assert len(wf["webhookToken"]) >= 32
