"""Erasure (issue 10, item 10): ``DELETE /api/v1/contacts/{id}`` asks the workers to erase the contact (an
outbox event like a run cancel), removes the contact's runs and steps of the caller's tenant from PostgreSQL
at once and counts them; the projector removes them again on ``workflow.contact.erased`` (events of the
cancelled runs may re-create rows meanwhile). The counters follow the rows: the reconcile job finds no drift.
The last test erases through the whole product: real worker, bridge, API."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.config import ApiSettings
from api.outbox.records import derived_event_id
from api.projector.analytics_reconcile import reconcile_analytics
from api.projector.consumer import Projector
from api.projector.reconcile import reconcile
from api.projector.service import apply_batch
from streams.engine import event_types
from tests.e2e.conftest import Api, Observer, start_stack
from tests.integration.api.conftest import TENANT_A, TENANT_B, create
from tests.integration.api.runs_helpers import DAY_MS, T0, effects_for, run_events
from workflows.settings import Settings

pytestmark = pytest.mark.integration
NO_ANALYTICS_DRIFT = {"nodes": 0, "edges": 0, "splits": 0, "goals": 0, "buckets": 0}


async def _seed(
    client: httpx.AsyncClient, as_a: dict[str, str], as_b: dict[str, str], engine: AsyncEngine
) -> dict[str, Any]:
    """Tenant A: contact c1 in two workflows (one run finished, one waiting in its delay), contact c2 in one.
    Tenant B: a contact also named c1. All projected as the worker's events would be."""
    wf1, wf2 = await create(client, as_a), await create(client, as_a)
    wfb = await create(client, as_b)
    effects = effects_for(wf1, contact="c1") + effects_for(wf1, contact="c2", start=T0 + DAY_MS)
    effects += [e for e in effects_for(wf2, contact="c1") if e.get("occurredAt") == T0]  # still waiting
    effects += effects_for(wfb, contact="c1")
    await apply_batch(engine, run_events(effects))
    assert await reconcile(engine) == {"runs": 0, "nodes": 0}
    return {"wf1": wf1, "wf2": wf2, "wfb": wfb}


async def _rows(engine: AsyncEngine) -> dict[tuple[str, str], tuple[int, int]]:
    """(tenant, contact) -> (runs, steps)."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT r.tenant_id, r.contact_id, count(DISTINCT r.id), count(s.id) FROM workflow_runs r "
                "LEFT JOIN workflow_run_steps s ON s.run_id = r.id GROUP BY 1, 2"
            )
        )
        return {(r[0], r[1]): (int(r[2]), int(r[3])) for r in rows}


async def test_delete_contact_erases_the_callers_contact_only_and_keeps_counters_true(
    client: httpx.AsyncClient,
    as_a: dict[str, str],
    as_b: dict[str, str],
    engine: AsyncEngine,
    api_settings: Settings,
) -> None:
    seeded = await _seed(client, as_a, as_b, engine)
    before = await _rows(engine)
    runs_c1, steps_c1 = before[(TENANT_A, "c1")]
    assert runs_c1 == 2
    total_before = (await client.get(f"/api/v1/workflows/{seeded['wf1']['id']}/stats", headers=as_a)).json()

    resp = await client.delete("/api/v1/contacts/c1", headers={**as_a, "Idempotency-Key": "erase-1"})
    assert resp.status_code == 202, resp.text
    assert resp.json() == {
        "success": True,
        "data": {"contactId": "c1", "runsDeleted": 2, "stepsDeleted": steps_c1, "erasureRequested": True},
    }
    after = await _rows(engine)
    assert (TENANT_A, "c1") not in after
    assert after[(TENANT_A, "c2")] == before[(TENANT_A, "c2")]
    assert after[(TENANT_B, "c1")] == before[(TENANT_B, "c1")]  # same contact id, another tenant
    async with engine.connect() as conn:
        orphans = await conn.scalar(
            text("SELECT count(*) FROM workflow_schedules WHERE run_id NOT IN (SELECT id FROM workflow_runs)")
        )
    assert orphans == 0
    # Counters and analytics moved with the rows: nothing for the reconcile job to correct.
    assert await reconcile_analytics(engine) == NO_ANALYTICS_DRIFT
    assert await reconcile(engine) == {"runs": 0, "nodes": 0}
    stats = (await client.get(f"/api/v1/workflows/{seeded['wf1']['id']}/stats", headers=as_a)).json()
    assert stats["data"]["totalRuns"] == total_before["data"]["totalRuns"] - 1
    funnel = await client.get(f"/api/v1/workflows/{seeded['wf1']['id']}/stats/funnel", headers=as_a)
    assert funnel.json()["data"]["nodes"][0]["entered"] == 1  # c2's run only

    # The erase request is queued for the contact's partition, like a run cancel, with a derived id.
    async with engine.connect() as conn:
        rows = list(
            await conn.execute(text("SELECT topic, key, value, tenant_id FROM outbox WHERE sent_at IS NULL"))
        )
    erase = [orjson.loads(r.value) for r in rows if r.topic == api_settings.events_topic]
    assert len(erase) == 1
    assert [r.key for r in rows if r.topic == api_settings.events_topic] == [b"c1"]
    assert erase[0]["type"] == event_types.CONTACT_ERASE_REQUESTED
    assert (erase[0]["tenantId"], erase[0]["contactId"]) == (TENANT_A, "c1")
    assert erase[0]["id"] == derived_event_id(event_types.CONTACT_ERASE_REQUESTED, TENANT_A, "c1", "erase-1")

    # Another tenant erasing "c1" touches only its own c1; no token, no erasure.
    other = await client.delete("/api/v1/contacts/c1", headers=as_b)
    assert other.json()["data"]["runsDeleted"] == 1
    assert (await _rows(engine)).get((TENANT_A, "c2")) == before[(TENANT_A, "c2")]
    assert (await client.delete("/api/v1/contacts/c2")).status_code == 401
    assert (await _rows(engine)).get((TENANT_A, "c2")) == before[(TENANT_A, "c2")]


def _erased_record(tenant: str, contact: str) -> dict[str, Any]:
    """``workflow.contact.erased`` on workflows.out, as the worker publishes it (ContactErased.to_dict())."""
    return {
        "kind": "contact_erased",
        "subject": event_types.CONTACT_ERASED,
        "tenantId": tenant,
        "contactId": contact,
        "runId": "",
        "nodeId": None,
        "idempotencyKey": f"erased:{uuid.uuid4()}",
        "occurredAt": T0 + 5 * DAY_MS,
        "runsCancelled": 1,
    }


async def test_projector_erases_again_on_contact_erased(
    client: httpx.AsyncClient,
    as_a: dict[str, str],
    as_b: dict[str, str],
    engine: AsyncEngine,
    api_settings: Settings,
) -> None:
    seeded = await _seed(client, as_a, as_b, engine)
    assert (await client.delete("/api/v1/contacts/c1", headers=as_a)).status_code == 202
    # What reaches workflows.out afterwards: the cancelled run's last events (they re-create its rows), a
    # record of another kind, the erasure, then a run the contact starts later (it stays).
    late = [e for e in effects_for(seeded["wf2"], contact="c1") if e.get("occurredAt") == T0]
    message = {
        "kind": "send_message",
        "subject": "pipeline.message.send",
        "tenantId": TENANT_A,
        "contactId": "c1",
    }
    later = effects_for(
        seeded["wf1"],
        contact="c1",
        events=[{"type": "contact.created", "at": 0, "id": "again"}],
        start=T0 + 9 * DAY_MS,
    )
    records = [*late, message, _erased_record(TENANT_A, "c1"), *later]

    admin = AIOKafkaAdminClient(bootstrap_servers=api_settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(api_settings.out_topic, 3, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=api_settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        for record in records:
            await producer.send_and_wait(api_settings.out_topic, orjson.dumps(record), key=b"c1")
    finally:
        await producer.stop()

    projector = Projector(
        api_settings, ApiSettings(projector_batch_size=3), engine=engine, group_id=f"p-{uuid.uuid4().hex[:8]}"
    )
    await projector.start()
    try:
        for _ in range(100):
            await projector.step(timeout_ms=200)
            if await projector.caught_up():
                break
        else:
            raise AssertionError("the projector never caught up")
    finally:
        await projector.stop()

    async with engine.connect() as conn:
        runs = list(
            await conn.execute(
                text("SELECT id, started_at FROM workflow_runs WHERE tenant_id = :t AND contact_id = 'c1'"),
                {"t": TENANT_A},
            )
        )
    # Only the run that started after the erasure is left.
    assert len(runs) == 1
    assert runs[0].started_at.timestamp() * 1000 >= T0 + 9 * DAY_MS
    assert (await _rows(engine))[(TENANT_B, "c1")][0] == 1
    assert await reconcile_analytics(engine) == NO_ANALYTICS_DRIFT
    assert await reconcile(engine) == {"runs": 0, "nodes": 0}


# -- the whole product -------------------------------------------------------------------------------------
def _onboarding(tag: str) -> dict[str, Any]:
    return {
        "name": f"erasure {tag}",
        "trigger": {"type": "event", "event": "contact.created"},
        "nodes": [
            {"id": "n1", "type": "add_tag", "data": {"tag": "welcomed"}},
            {"id": "n2", "type": "delay", "data": {"duration": 1, "unit": "days"}},
            {"id": "n3", "type": "add_tag", "data": {"tag": "day-2"}},
        ],
        "edges": [
            {"source": "trigger", "target": "n1"},
            {"source": "n1", "target": "n2"},
            {"source": "n2", "target": "n3"},
        ],
        "goals": [],
        "settings": {"reEntry": "once"},
    }


def _wait(check: Any, what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


async def test_erasure_through_the_product_cancels_runs_deletes_state_and_announces_it(
    e2e_settings: Settings, tmp_path: Path
) -> None:
    stack = start_stack(e2e_settings, tmp_path / "stack")
    observer = Observer(stack)
    tenant, neighbour = f"tenant-{uuid.uuid4().hex[:8]}", f"tenant-{uuid.uuid4().hex[:8]}"
    api, other = Api(stack, tenant), Api(stack, neighbour)
    try:
        await observer.open()
        wf = (await asyncio.to_thread(api.create_active, _onboarding("a")))["id"]
        wfn = (await asyncio.to_thread(other.create_active, _onboarding("b")))["id"]
        await observer.publish("contact.created", tenant, "ada", {"contact": {"email": "ada@example.com"}})
        await observer.publish("contact.created", neighbour, "ada", {"contact": {"email": "n@example.com"}})
        await asyncio.to_thread(api.wait_runs, wf, count=1, status="running")
        await asyncio.to_thread(other.wait_runs, wfn, count=1, status="running")

        resp = await asyncio.to_thread(api.client.delete, "/api/v1/contacts/ada")
        assert resp.status_code == 202, resp.text
        assert resp.json()["data"]["runsDeleted"] == 1
        assert resp.json()["data"]["stepsDeleted"] >= 2

        async def erased() -> list[Any]:
            return [
                m
                for m in await observer.messages()
                if m[0] == event_types.CONTACT_ERASED and m[1].get("tenantId") == tenant
            ]

        for _ in range(100):
            announced = await erased()
            if announced:
                break
            await asyncio.sleep(0.5)
        else:
            raise AssertionError(f"no workflow.contact.erased published: {stack.tail('worker-0')}")
        assert announced[0][1]["contactId"] == "ada"
        assert "email" not in orjson.dumps(announced[0][1]).decode()
        cancelled = [
            m
            for m in await observer.messages()
            if m[0] == event_types.RUN_CANCELLED and m[1].get("tenantId") == tenant
        ]
        assert len(cancelled) == 1
        # The projector applied the cancel, which re-created the run's row, then the erasure: no row left.
        await asyncio.to_thread(_wait, lambda: api.runs(wf) == [], "the contact's rows to go", 30)
        # Its worker state is gone: with re-entry "once", only a forgotten contact starts again.
        await observer.publish("contact.created", tenant, "ada", {"contact": {"email": "ada2@example.com"}})
        await asyncio.to_thread(api.wait_runs, wf, count=1, status="running")
        await asyncio.sleep(1)
        assert [r["status"] for r in await asyncio.to_thread(api.runs, wf)] == ["running"]
        # The neighbour tenant's contact of the same id kept its run.
        assert [r["status"] for r in await asyncio.to_thread(other.runs, wfn)] == ["running"]
    finally:
        await observer.close()
        api.client.close()
        other.client.close()
        stack.stop()
