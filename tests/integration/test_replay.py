"""`workflows replay` against the real broker: what is offered, to whom, and what a dry run counts."""

from __future__ import annotations

import time
import uuid
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from workflows.replay import ReplayRequest, replay
from workflows.settings import Settings
from workflows.wire import active_key, decode_events, definition_key, partition_for

pytestmark = pytest.mark.integration

TENANT = "tenant-replay"


def _definition(workflow_id: str, source: str) -> dict[str, Any]:
    return {
        "id": workflow_id,
        "tenantId": TENANT,
        "version": 1,
        "status": "active",
        "trigger": {
            "type": "event",
            "event": "contact.created",
            "conditions": [{"field": "source", "operator": "equals", "value": source}],
        },
        "nodes": [
            {"id": "n1", "type": "send_email", "position": {"x": 0, "y": 0}, "data": {"templateId": "t"}}
        ],
        "edges": [{"source": "trigger", "target": "n1"}],
        "goals": [],
        "settings": {},
    }


def _created(i: int, source: str) -> dict[str, Any]:
    return {
        "id": f"ev-{i}",
        "type": "contact.created",
        "tenantId": TENANT,
        "contactId": f"contact-{i}",
        "occurredAt": "2026-11-01T10:00:00Z",
        "data": {"contact": {"source": source}},
    }


@pytest.fixture
async def topics(services: Settings) -> Any:
    run = uuid.uuid4().hex[:10]
    settings = services.model_copy(
        update={
            "events_topic": f"t{run}.events",
            "definitions_topic": f"t{run}.definitions",
            "events_partitions": 4,
        }
    )
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    await admin.create_topics(
        [
            NewTopic(settings.events_topic, num_partitions=4, replication_factor=1),
            NewTopic(settings.definitions_topic, num_partitions=1, replication_factor=1),
        ]
    )
    try:
        yield settings
    finally:
        await admin.delete_topics([settings.events_topic, settings.definitions_topic])
        await admin.close()


async def _read_all(settings: Settings) -> list[tuple[int, dict[str, Any]]]:
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(settings.events_topic, p) for p in range(4)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        out: list[tuple[int, dict[str, Any]]] = []
        while [tp for tp in tps if await consumer.position(tp) < end[tp]]:
            for tp, records in (await consumer.getmany(*tps, timeout_ms=2000)).items():
                out.extend((tp.partition, e) for r in records for e in decode_events(r.value))
        return out
    finally:
        await consumer.stop()


async def test_replay_offers_pre_activation_events_once_per_workflow(topics: Settings) -> None:
    settings = topics
    start_ms = int(time.time() * 1000) - 1000
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all")
    await producer.start()
    try:
        # Six signups before the workflow exists: four from the website, two imported.
        for i in range(6):
            source = "website_signup" if i < 4 else "import"
            e = _created(i, source)
            await producer.send_and_wait(settings.events_topic, orjson.dumps(e), key=e["contactId"].encode())
        wf = str(uuid.uuid4())
        await producer.send_and_wait(
            settings.definitions_topic,
            orjson.dumps(_definition(wf, "website_signup")),
            key=definition_key(wf, 1),
        )
        pointer = {"workflowId": wf, "tenantId": TENANT, "version": 1, "status": "active"}
        await producer.send_and_wait(settings.definitions_topic, orjson.dumps(pointer), key=active_key(wf))
        # After activation the worker sees events live: replay must not offer this one.
        after = _created(99, "website_signup")
        await producer.send_and_wait(
            settings.events_topic, orjson.dumps(after), key=after["contactId"].encode()
        )
    finally:
        await producer.stop()

    dry = await replay(settings, ReplayRequest(from_ms=start_ms, dry_run=True))
    assert dry.targets, dry
    assert dry.events == 7, dry
    assert dry.would_start[wf] == 4  # the imported contacts fail the trigger condition
    assert dry.offered[wf] == 0
    assert len(await _read_all(settings)) == 7  # a dry run produces nothing

    done = await replay(settings, ReplayRequest(from_ms=start_ms, tenant=TENANT))
    assert done.offered[wf] == 6  # offered every pre-activation event; the engine checks conditions
    again = await replay(settings, ReplayRequest(from_ms=start_ms, workflow=wf))
    assert again.offered[wf] == 6

    replays = [(p, e) for p, e in await _read_all(settings) if e["type"] == "workflow.trigger.replay"]
    ids = [e["id"] for _, e in replays]
    assert len(ids) == 12
    assert set(ids) == {f"replay:{wf}:ev-{i}" for i in range(6)}  # a second replay repeats the same ids
    for partition, e in replays:
        assert partition == partition_for(e["contactId"], 4)
        assert e["data"]["workflowId"] == wf
        assert e["data"]["event"]["id"] == e["id"].rsplit(":", 1)[1]

    other_tenant = await replay(settings, ReplayRequest(from_ms=start_ms, tenant="someone-else"))
    assert other_tenant.targets == {}
