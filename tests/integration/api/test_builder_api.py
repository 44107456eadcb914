"""What the builder reads and asks of the API: the workflow list with run counts and filters, versions with
their author, the runs waiting at each node now, duplicate, and the development sign-in (both modes)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api.app import create_app
from api.auth import decode_token
from api.db.models import WorkflowRun, WorkflowRunCounters
from tests.integration.api.conftest import QUIET, USER, auth, create
from workflows import production
from workflows.settings import Settings

pytestmark = pytest.mark.integration
BASE = "/api/v1/workflows"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


async def _runs(engine: AsyncEngine, wf: dict[str, Any], *rows: tuple[int, str, str | None]) -> None:
    """Projected runs: (version, status, current node)."""
    async with AsyncSession(engine) as session:
        for i, (version, status, node) in enumerate(rows):
            session.add(
                WorkflowRun(
                    id=uuid.uuid4(),
                    tenant_id=wf["tenantId"],
                    workflow_id=uuid.UUID(wf["id"]),
                    workflow_version=version,
                    contact_id=f"c{i}",
                    status=status,
                    current_node_id=node,
                    trigger_event={},
                    context={},
                    started_at=T0 + timedelta(minutes=i),
                )
            )
        await session.commit()


async def test_the_list_shows_runs_conversion_trigger_type_and_last_change(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine
) -> None:
    with_runs = await create(client, as_a, name="Cart recovery")
    await create(client, as_a, name="Birthday", trigger={"type": "manual"})
    async with AsyncSession(engine) as session:
        session.add(
            WorkflowRunCounters(
                workflow_id=uuid.UUID(with_runs["id"]),
                total=40,
                running=5,
                completed=21,
                failed=2,
                goal_reached=9,
                cancelled=3,
            )
        )
        await session.commit()
    renamed = await client.patch(f"{BASE}/{with_runs['id']}", json={"name": "Cart recovery v2"}, headers=as_a)
    assert renamed.status_code == 200

    page = (await client.get(BASE, headers=as_a)).json()["data"]
    rows = {row["name"]: row for row in page["items"]}
    cart, birthday = rows["Cart recovery v2"], rows["Birthday"]
    assert cart["triggerType"] == "event"
    assert (cart["totalRuns"], cart["runningRuns"], cart["completedRuns"], cart["goalReachedRuns"]) == (
        40,
        5,
        30,
        9,
    )
    assert cart["conversionRate"] == 30.0  # as in the stats: goal / (completed incl. goal)
    assert cart["updatedAt"] > cart["createdAt"]
    assert birthday["triggerType"] == "manual"
    assert (birthday["totalRuns"], birthday["conversionRate"]) == (0, 0.0)

    # Search, filters and pagination.
    found = (await client.get(BASE, params={"q": "cart"}, headers=as_a)).json()["data"]["items"]
    assert [r["name"] for r in found] == ["Cart recovery v2"]
    manual = (await client.get(BASE, params={"triggerType": "manual"}, headers=as_a)).json()["data"]
    assert [r["name"] for r in manual["items"]] == ["Birthday"]
    await client.post(f"{BASE}/{with_runs['id']}/activate", headers=as_a)
    active = (await client.get(BASE, params={"status": "active"}, headers=as_a)).json()["data"]
    assert [r["name"] for r in active["items"]] == ["Cart recovery v2"]
    first = (await client.get(BASE, params={"limit": 1}, headers=as_a)).json()["data"]
    second = (
        await client.get(BASE, params={"limit": 1, "cursor": first["nextCursor"]}, headers=as_a)
    ).json()["data"]
    assert {first["items"][0]["name"], second["items"][0]["name"]} == {"Cart recovery v2", "Birthday"}
    assert second["nextCursor"] is None


async def test_versions_name_their_author_and_time(
    client: httpx.AsyncClient, as_a: dict[str, str], api_settings: Settings
) -> None:
    wf = await create(client, as_a)
    other = auth(api_settings, "tenant-a", "grace@example.com")
    settings_change = {"settings": {"timezone": "Europe/Paris"}, "changelog": "Paris time"}
    assert (await client.patch(f"{BASE}/{wf['id']}", json=settings_change, headers=other)).status_code == 200
    versions = (await client.get(f"{BASE}/{wf['id']}/versions", headers=as_a)).json()["data"]
    assert [(v["version"], v["author"], v["changelog"]) for v in versions] == [
        (2, "grace@example.com", "Paris time"),
        (1, USER, "created"),
    ]
    assert versions[1]["createdBy"] == USER
    assert all(datetime.fromisoformat(v["createdAt"]) for v in versions)


async def test_waiting_counts_running_runs_per_version_and_node(
    client: httpx.AsyncClient, as_a: dict[str, str], as_b: dict[str, str], engine: AsyncEngine
) -> None:
    wf = await create(client, as_a)
    url = f"{BASE}/{wf['id']}/waiting"
    assert (await client.get(url, headers=as_a)).json()["data"] == []
    await _runs(
        engine,
        wf,
        (1, "running", "node-2"),
        (1, "running", "node-2"),
        (1, "running", "node-3"),
        (2, "running", "node-2"),
        (1, "completed", "node-3"),  # ended: waits nowhere
        (1, "cancelled", "node-2"),
        (2, "running", None),  # started, no node current yet
    )
    everything = (await client.get(url, headers=as_a)).json()["data"]
    assert everything == [
        {"version": 2, "nodeId": "node-2", "count": 1},
        {"version": 1, "nodeId": "node-2", "count": 2},
        {"version": 1, "nodeId": "node-3", "count": 1},
    ]
    one = (await client.get(url, params={"version": 1}, headers=as_a)).json()["data"]
    assert one == everything[1:]
    assert (await client.get(url, params={"version": 0}, headers=as_a)).status_code == 422
    assert (await client.get(url, headers=as_b)).status_code == 404
    assert (await client.get(f"{BASE}/{uuid.uuid4()}/waiting", headers=as_a)).status_code == 404
    # Archived: never published again, so a 404 like the workflow itself (its runs stay readable).
    assert (await client.delete(f"{BASE}/{wf['id']}", headers=as_a)).status_code == 200
    assert (await client.get(url, headers=as_a)).status_code == 404
    assert (await client.get(f"{BASE}/{wf['id']}/runs", headers=as_a)).status_code == 200


async def test_the_waiting_count_reads_its_index(engine: AsyncEngine) -> None:
    from sqlalchemy import text

    async with engine.connect() as conn:
        await conn.execute(text("SET enable_seqscan = off"))
        plan = "\n".join(
            row[0]
            for row in await conn.execute(
                text(
                    "EXPLAIN SELECT workflow_version, current_node_id, count(*) FROM workflow_runs "
                    "WHERE workflow_id = :w AND status = 'running' AND current_node_id IS NOT NULL "
                    "GROUP BY workflow_version, current_node_id"
                ),
                {"w": uuid.uuid4()},
            )
        )
    assert "idx_workflow_runs_waiting" in plan, plan


async def test_duplicate_makes_a_new_draft_with_the_current_definition(
    client: httpx.AsyncClient, as_a: dict[str, str], as_b: dict[str, str]
) -> None:
    wf = await create(client, as_a, name="Onboarding")
    nodes = [*wf["nodes"][:2], {"id": "node-9", "type": "add_tag", "data": {"tag": "v2"}}]
    edges = [*wf["edges"][:2], {"source": "node-2", "target": "node-9"}]
    await client.patch(f"{BASE}/{wf['id']}", json={"nodes": nodes, "edges": edges}, headers=as_a)
    await client.post(f"{BASE}/{wf['id']}/activate", headers=as_a)

    copy = await client.post(f"{BASE}/{wf['id']}/duplicate", headers=as_a)
    assert copy.status_code == 201, copy.text
    data = copy.json()["data"]
    assert data["id"] != wf["id"]
    assert (data["name"], data["status"], data["version"]) == ("Copy of Onboarding", "draft", 1)
    assert data["nodes"] == nodes
    assert data["edges"] == edges
    assert data["trigger"] == wf["trigger"]

    named = await client.post(f"{BASE}/{wf['id']}/duplicate", json={"name": "Onboarding B"}, headers=as_a)
    assert named.json()["data"]["name"] == "Onboarding B"
    assert (
        await client.post(f"{BASE}/{wf['id']}/duplicate", json={"name": ""}, headers=as_a)
    ).status_code == 422
    assert (await client.post(f"{BASE}/{wf['id']}/duplicate", headers=as_b)).status_code == 404
    assert (await client.get(f"{BASE}/{data['id']}/versions", headers=as_a)).json()["data"][0]["version"] == 1


async def test_development_sign_in_mints_the_cli_token(
    client: httpx.AsyncClient, api_settings: Settings
) -> None:
    assert api_settings.env == "development"
    resp = await client.post("/api/v1/dev/token", json={"tenantId": "acme"})
    assert resp.status_code == 200, resp.text
    data = resp.json()["data"]
    principal = decode_token(api_settings, data["token"])
    assert (principal.tenant_id, principal.user_id) == ("acme", "00000000-0000-0000-0000-000000000001")
    assert data["tenantId"] == "acme"
    headers = {"Authorization": f"Bearer {data['token']}"}
    assert (await client.get(BASE, headers=headers)).status_code == 200

    as_ada = await client.post("/api/v1/dev/token", json={"tenantId": "acme", "userId": "ada"})
    assert decode_token(api_settings, as_ada.json()["data"]["token"]).user_id == "ada"
    for bad in ({}, {"tenantId": ""}, {"tenantId": "a b"}, {"tenantId": "acme", "extra": 1}):
        assert (await client.post("/api/v1/dev/token", json=bad)).status_code == 422, bad


async def test_development_sign_in_does_not_exist_in_production(api_settings: Settings) -> None:
    app = create_app(api_settings.model_copy(update={"env": "production"}), api_settings=QUIET)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
        for body in ({"tenantId": "acme"}, {}, {"tenantId": "a b"}):
            resp = await client.post("/api/v1/dev/token", json=body)
            assert resp.status_code == 404, body
            assert "token" not in resp.text.replace("dev/token", "")
    assert "POST /api/v1/dev/token" in production.DEVELOPMENT_ONLY_ROUTES
