"""Archive semantics: an active workflow is archived only with ?cancelRuns=true, which cancels its running
runs through the single-run cancel path; an archived workflow's runs, run detail and stats stay readable;
POST /runs/cancel cancels in bulk with filters and answers the count."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api.db.models import WorkflowRun
from api.outbox.records import derived_event_id
from tests.integration.api.conftest import create, outbox_rows

pytestmark = pytest.mark.integration
BASE = "/api/v1/workflows"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


async def _runs(engine: AsyncEngine, workflow: dict[str, Any], *rows: tuple[str, str, int]) -> list[str]:
    """Projected runs (contact, status, started N hours after T0), as the projector stores them."""
    ids = []
    async with AsyncSession(engine) as session:
        for contact, status, hours in rows:
            run_id = uuid.uuid4()
            ids.append(str(run_id))
            session.add(
                WorkflowRun(
                    id=run_id,
                    tenant_id=workflow["tenantId"],
                    workflow_id=uuid.UUID(workflow["id"]),
                    workflow_version=1,
                    contact_id=contact,
                    status=status,
                    trigger_event={},
                    context={},
                    started_at=T0 + timedelta(hours=hours),
                    completed_at=None if status == "running" else T0 + timedelta(hours=hours + 1),
                )
            )
        await session.commit()
    return ids


async def _cancels(engine: AsyncEngine) -> dict[str, dict[str, Any]]:
    """Cancel commands in the outbox by run id (the envelope for workflows.events)."""
    found = {}
    for row in await outbox_rows(engine):
        value = orjson.loads(row.value)
        if isinstance(value, dict) and value.get("type") == "workflow.run.cancel_requested":
            found[value["data"]["runId"]] = {**value, "key": row.key}
    return found


async def test_archiving_an_active_workflow_needs_cancel_runs_and_cancels_them(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine
) -> None:
    wf = await create(client, as_a)
    url = f"{BASE}/{wf['id']}"
    assert (await client.post(f"{url}/activate", headers=as_a)).status_code == 200
    running = await _runs(engine, wf, ("c1", "running", 0), ("c2", "running", 1))
    done = await _runs(engine, wf, ("c3", "completed", 2))

    refused = await client.delete(url, headers=as_a)
    assert refused.status_code == 409
    assert "cancelRuns=true" in refused.json()["error"]["message"]
    assert await _cancels(engine) == {}

    archived = await client.delete(f"{url}?cancelRuns=true", headers=as_a)
    assert archived.status_code == 200, archived.text
    assert archived.json()["data"]["status"] == "archived"
    cancels = await _cancels(engine)
    assert set(cancels) == set(running)
    for run_id, envelope in cancels.items():
        # The same command, with the same derived id, as POST /runs/{runId}/cancel sends.
        assert envelope["id"] == derived_event_id("workflow.run.cancel_requested", "tenant-a", run_id)
        assert envelope["tenantId"] == "tenant-a"
    assert {c["contactId"] for c in cancels.values()} == {"c1", "c2"}

    # Gone for authoring, readable for what ran.
    assert (await client.get(url, headers=as_a)).status_code == 404
    listed = await client.get(f"{url}/runs", headers=as_a)
    assert listed.status_code == 200, listed.text
    assert len(listed.json()["data"]["items"]) == 3
    detail = await client.get(f"{url}/runs/{done[0]}", headers=as_a)
    assert detail.status_code == 200, detail.text
    assert (await client.get(f"{url}/stats", headers=as_a)).status_code == 200
    # A run still in flight after archiving can be cancelled alone too.
    assert (await client.post(f"{url}/runs/{running[0]}/cancel", headers=as_a)).status_code == 202


async def test_a_paused_workflow_archives_without_cancelling_unless_asked(
    client: httpx.AsyncClient, as_a: dict[str, str], as_b: dict[str, str], engine: AsyncEngine
) -> None:
    wf = await create(client, as_a)
    url = f"{BASE}/{wf['id']}"
    await client.post(f"{url}/activate", headers=as_a)
    await client.post(f"{url}/pause", headers=as_a)
    await _runs(engine, wf, ("c1", "running", 0))
    assert (await client.delete(url, headers=as_a)).status_code == 200
    assert await _cancels(engine) == {}
    assert (await client.get(f"{url}/runs", headers=as_b)).status_code == 404  # tenant scope holds


async def test_bulk_cancel_with_filters_answers_the_count(
    client: httpx.AsyncClient, as_a: dict[str, str], as_b: dict[str, str], engine: AsyncEngine
) -> None:
    wf = await create(client, as_a)
    url = f"{BASE}/{wf['id']}/runs/cancel"
    early = await _runs(engine, wf, ("c1", "running", 0), ("c2", "running", 1))
    late = await _runs(engine, wf, ("c1", "running", 10), ("c3", "running", 11))
    await _runs(engine, wf, ("c1", "completed", 2), ("c4", "failed", 3))

    by_contact = await client.post(
        url, json={"contactId": "c1", "startedBefore": "2026-01-01T05:00:00Z"}, headers=as_a
    )
    assert by_contact.status_code == 202, by_contact.text
    assert by_contact.json()["data"] == {"cancelRequested": 1, "more": False}
    assert set(await _cancels(engine)) == {early[0]}

    capped = await client.post(url, json={"limit": 2, "reason": "campaign over"}, headers=as_a)
    assert capped.json()["data"] == {"cancelRequested": 2, "more": True}
    rest = await client.post(url, json={"status": "running"}, headers=as_a)
    assert rest.json()["data"] == {"cancelRequested": 4, "more": False}  # a cancel is idempotent per run
    cancels = await _cancels(engine)
    assert set(cancels) == {*early, *late}
    assert cancels[early[0]]["data"]["reason"] == "cancelled by user"

    assert (await client.post(url, json={"status": "completed"}, headers=as_a)).status_code == 422
    assert (await client.post(url, json={"contactId": "a\nb"}, headers=as_a)).status_code == 422
    assert (await client.post(url, json={}, headers=as_b)).status_code == 404
    missing = f"{BASE}/{uuid.uuid4()}/runs/cancel"
    assert (await client.post(missing, json={}, headers=as_a)).status_code == 404
