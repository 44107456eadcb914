"""Against the real Kafka: the outbox relay survives a crash between publish and mark; the projector
rebuilds identical read models and stats when `workflows.out` is replayed."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.config import ApiSettings
from api.outbox import repository as outbox
from api.outbox.relay import OutboxRelay
from api.projector.rebuild import rebuild
from api.projector.reconcile import reconcile
from tests.integration.api.conftest import QUIET, create, definition
from tests.integration.api.runs_helpers import DAY_MS, T0, effects_for
from workflows import wire
from workflows.settings import Settings

pytestmark = pytest.mark.integration
BASE = "/api/v1/workflows"


class SimulatedCrashError(RuntimeError):
    pass


def _crash(_ids: list[int]) -> None:
    raise SimulatedCrashError("killed after Kafka acknowledged, before the rows were marked sent")


async def read_topic(settings: Settings, topic: str) -> list[Any]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False, group_id=None
    )
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or {0}]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        records: list[Any] = []
        while [tp for tp in parts if await consumer.position(tp) < ends[tp]]:
            batch = await consumer.getmany(timeout_ms=1000)
            records += [r for part in batch.values() for r in part]
        return records
    finally:
        await consumer.stop()


async def test_relay_crash_between_publish_and_mark_resends_and_loses_nothing(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine, api_settings: Settings
) -> None:
    wf = await create(client, as_a)
    await client.post(f"{BASE}/{wf['id']}/activate", headers=as_a)
    for n in (2, 3):
        nodes = definition()["nodes"]
        nodes[1]["data"]["duration"] = 60 * n
        await client.patch(f"{BASE}/{wf['id']}", json={"nodes": nodes}, headers=as_a)
    # Committed, not yet published: nothing is lost while no relay runs.
    options = ApiSettings(outbox_batch_size=100)
    crashing = OutboxRelay(api_settings, options, engine=engine, after_publish=_crash)
    await crashing.start()
    try:
        with pytest.raises(SimulatedCrashError):
            await crashing.publish_once()
    finally:
        await crashing.stop()
    async with engine.connect() as conn:
        assert await outbox.backlog(conn) == 6  # published, but not marked: still owed
    relay = OutboxRelay(api_settings, options, engine=engine)
    await relay.start()
    try:
        assert await relay.drain() == 6
        assert await relay.drain() == 0
    finally:
        await relay.stop()

    records = await read_topic(api_settings, api_settings.definitions_topic)
    assert len(records) == 12  # every record twice: at-least-once
    by_key: dict[bytes, list[bytes]] = defaultdict(list)
    for r in records:
        by_key[r.key].append(r.value)
    wid = wf["id"]
    versions = {k: v for k, v in by_key.items() if not k.endswith(b":active")}
    assert set(versions) == {wire.definition_key(wid, n) for n in (1, 2, 3)}
    # Exactly once per version after dedupe by key: each version key carries one distinct definition.
    for key, values in versions.items():
        assert len(set(values)) == 1, key
        assert orjson.loads(values[0])["version"] == int(key.decode().rsplit(":", 1)[1])
    # The last record per key (what compaction keeps) names the newest version as active.
    assert orjson.loads(by_key[wire.active_key(wid)][-1]) == {
        "workflowId": wid,
        "tenantId": "tenant-a",
        "version": 3,
        "status": "active",
    }


async def test_background_relay_publishes_after_commit(
    as_a: dict[str, str], engine: AsyncEngine, api_settings: Settings
) -> None:
    from api.app import create_app

    app = create_app(api_settings, api_settings=QUIET.model_copy(update={"api_run_relay": True}))
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://api") as client,
    ):
        wf = await create(client, as_a)
        await client.post(f"{BASE}/{wf['id']}/activate", headers=as_a)
        for _ in range(100):
            async with engine.connect() as conn:
                if await outbox.backlog(conn) == 0:
                    break
            await asyncio.sleep(0.1)
    records = await read_topic(api_settings, api_settings.definitions_topic)
    assert [r.key for r in records] == [wire.definition_key(wf["id"], 1), wire.active_key(wf["id"])]


SNAPSHOT = {
    "runs": "SELECT id, tenant_id, workflow_id, workflow_version, contact_id, status, current_node_id, "
    "trigger_event, goal_reached_id, error_message, started_at, completed_at, last_event_at "
    "FROM workflow_runs ORDER BY id",
    "steps": "SELECT * FROM workflow_run_steps ORDER BY id",
    "schedules": "SELECT * FROM workflow_schedules ORDER BY id",
    "runs_counters": "SELECT * FROM workflow_run_counters ORDER BY workflow_id",
    "node_counters": "SELECT * FROM workflow_node_counters ORDER BY workflow_id, node_id",
}


async def snapshot(engine: AsyncEngine) -> dict[str, list[Any]]:
    async with engine.connect() as conn:
        return {name: [tuple(r) for r in await conn.execute(text(sql))] for name, sql in SNAPSHOT.items()}


async def project_all(settings: Settings, engine: AsyncEngine, *, truncate: bool = False) -> int:
    """Project the whole topic with a fresh group (what `workflows projections rebuild` does)."""
    summary = await rebuild(settings, engine, options=ApiSettings(projector_batch_size=7), truncate=truncate)
    assert summary.records > 0, "projector read nothing"
    return summary.records


async def test_projector_replay_twice_gives_the_same_rows_and_stats(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine, api_settings: Settings
) -> None:
    goal = {"id": "goal-1", "name": "Bought", "event": "order.placed"}
    wf = await create(client, as_a, goals=[goal])
    effects: list[dict[str, Any]] = []
    for i in range(6):
        journey = [{"type": "contact.created", "at": 0, "id": f"e{i}"}]
        if i % 3 == 1:
            journey.append({"type": "order.placed", "at": 30_000, "id": f"o{i}"})  # goal during the delay
        contact_effects = effects_for(wf, contact=f"c{i}", events=journey, start=T0 + i * DAY_MS)
        if i % 3 == 2:  # still waiting in the delay
            contact_effects = [e for e in contact_effects if e.get("occurredAt") == T0 + i * DAY_MS]
        effects += contact_effects
    admin = AIOKafkaAdminClient(bootstrap_servers=api_settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(api_settings.out_topic, 3, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=api_settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        for effect in effects + effects[: len(effects) // 2]:  # and a redelivered half
            await producer.send_and_wait(
                api_settings.out_topic,
                orjson.dumps(effect),
                key=effect["contactId"].encode(),
                headers=wire.out_headers(effect["subject"] or "none", effect["idempotencyKey"]),
            )
    finally:
        await producer.stop()

    await project_all(api_settings, engine)
    once = await snapshot(engine)
    assert len(once["runs"]) == 6
    await project_all(api_settings, engine)  # a second full replay
    assert await snapshot(engine) == once
    await project_all(api_settings, engine, truncate=True)  # drop the read models and rebuild from the topic
    assert await snapshot(engine) == once
    assert await reconcile(engine) == {"runs": 0, "nodes": 0}

    stats = (await client.get(f"{BASE}/{wf['id']}/stats", headers=as_a)).json()["data"]
    # Completed in the spec's meaning includes the goal-reached runs: 2 ran to the end, 2 reached the goal.
    assert (stats["totalRuns"], stats["runningRuns"], stats["completedRuns"], stats["goalReachedRuns"]) == (
        6,
        2,
        4,
        2,
    )
    assert stats["conversionRate"] == 50.0
    # The goal ended 2 runs while they waited in node-2: those visits were skipped.
    assert stats["nodeStats"]["node-2"] == {
        "executed": 6,
        "succeeded": 2,
        "failed": 0,
        "waiting": 2,
        "skipped": 2,
    }
    schedules = once["schedules"]
    assert len(schedules) == 6
    assert sum(1 for s in schedules if s[-1] is None) == 2  # the two waiting runs


async def test_reconcile_corrects_drift(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    from api.projector.service import apply_batch
    from tests.integration.api.runs_helpers import run_events

    wf = await create(client, as_a)
    await apply_batch(engine, run_events(effects_for(wf, contact="c1")))
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE workflow_run_counters SET total = total + 5, completed = 0"))
    corrected = await reconcile(engine)
    assert corrected == {"runs": 1, "nodes": 0}
    assert "stats drift corrected" in caplog.text
    stats = (await client.get(f"{BASE}/{wf['id']}/stats", headers=as_a)).json()["data"]
    assert (stats["totalRuns"], stats["completedRuns"]) == (1, 1)
    cached = (await client.get(f"{BASE}/{wf['id']}", headers=as_a)).json()["data"]["stats"]
    assert cached["totalRuns"] == 1
    assert await reconcile(engine) == {"runs": 0, "nodes": 0}
