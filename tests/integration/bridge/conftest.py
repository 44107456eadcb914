"""Per-test isolation on the shared brokers: unique streams, subjects, consumers, topics and groups."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import nats
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from bridge.config import BridgeSettings
from workflows.settings import Settings
from workflows.wire import decode_events


@dataclass
class Isolated:
    settings: Settings
    bridge: BridgeSettings
    nc: NatsClient
    js: JetStreamContext
    uid: str

    def env(self) -> dict[str, str]:
        """The same configuration as environment variables, for a bridge subprocess."""
        s, b = self.settings, self.bridge
        return {
            "WORKFLOWS_NATS_STREAM": s.nats_stream,
            "WORKFLOWS_EVENTS_TOPIC": s.events_topic,
            "WORKFLOWS_OUT_TOPIC": s.out_topic,
            "WORKFLOWS_OBSERVATIONS_TOPIC": s.observations_topic,
            "WORKFLOWS_NATS_DLQ_SUBJECT": s.nats_dlq_subject,
            "WORKFLOWS_BRIDGE_SUBJECT_PREFIX": b.subject_prefix,
            "WORKFLOWS_BRIDGE_INBOUND_DURABLE": b.inbound_durable,
            "WORKFLOWS_BRIDGE_DLQ_STREAM": b.dlq_stream,
            "WORKFLOWS_BRIDGE_OUTBOUND_STREAM": b.outbound_stream,
            "WORKFLOWS_BRIDGE_OUTBOUND_GROUP": b.outbound_group,
            "WORKFLOWS_BRIDGE_HTTP_PORT": "0",
            "WORKFLOWS_BRIDGE_ACK_WAIT_S": str(b.ack_wait_s),
        }


@pytest.fixture
async def isolated(services: Settings) -> AsyncIterator[Isolated]:
    uid = uuid.uuid4().hex[:10]
    settings = services.model_copy(
        update={
            "nats_stream": f"WF_IN_{uid}",
            "events_topic": f"t{uid}.events",
            "out_topic": f"t{uid}.out",
            "nats_dlq_subject": f"t{uid}.workflows.dlq",
            "observations_topic": f"t{uid}.observations",
        }
    )
    bridge = BridgeSettings(
        subject_prefix=f"t{uid}.",
        inbound_durable=f"bridge_{uid}",
        dlq_stream=f"WF_DLQ_{uid}",
        outbound_stream=f"WF_OUT_{uid}",
        outbound_group=f"g{uid}",
        http_port=0,
        ack_wait_s=3.0,
        backoff_initial_s=0.2,
        backoff_max_s=2.0,
    )
    nc = await nats.connect(settings.nats_url)
    js = nc.jetstream()
    try:
        yield Isolated(settings, bridge, nc, js, uid)
    finally:
        for stream in (settings.nats_stream, bridge.dlq_stream, bridge.outbound_stream):
            with contextlib.suppress(Exception):
                await js.delete_stream(stream)
        await nc.close()
        admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            mine = (settings.events_topic, settings.out_topic, settings.observations_topic)
            doomed = [t for t in mine if t in existing]
            if doomed:
                await admin.delete_topics(doomed)
        finally:
            await admin.close()


@dataclass(frozen=True)
class Landed:
    partition: int
    offset: int
    key: bytes
    envelopes: list[dict[str, Any]]


async def read_events(settings: Settings, *, expected: int, wait_s: float = 45.0) -> list[Landed]:
    """Every record of the events topic, from the start, until ``expected`` envelopes arrived and nothing
    more came for a moment (so duplicates after the expected count are seen too)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    landed: list[Landed] = []
    try:
        parts = await _partitions(consumer, settings.events_topic)
        tps = [TopicPartition(settings.events_topic, p) for p in parts]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        count, quiet = 0, 0
        deadline = asyncio.get_running_loop().time() + wait_s
        while asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            if not batch:
                quiet += 1
                if count >= expected and quiet >= 3:
                    break
                continue
            quiet = 0
            for tp, records in batch.items():
                for r in records:
                    envs = decode_events(r.value)
                    landed.append(Landed(tp.partition, r.offset, r.key, envs))
                    count += len(envs)
    finally:
        await consumer.stop()
    return landed


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    for _ in range(100):
        await consumer._client.force_metadata_update()
        parts = consumer.partitions_for_topic(topic)
        if parts:
            return set(parts)
        await asyncio.sleep(0.2)
    raise AssertionError(f"topic {topic} never appeared")


async def publish_all(js: JetStreamContext, items: list[tuple[str, bytes]]) -> list[int]:
    """Publish through JetStream, pipelined; returns each message's stream sequence."""
    seqs: list[int] = []
    for start in range(0, len(items), 1000):
        futures = [await js.publish_async(subject, body) for subject, body in items[start : start + 1000]]
        seqs.extend(ack.seq for ack in await asyncio.gather(*futures))
    return seqs


def envelope(uid: str, subject: str, contact: str, n: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"{uid}-{contact}-{n}",
        "type": subject,
        "tenantId": "tenant-1",
        "contactId": contact,
        "occurredAt": "2025-03-01T12:00:00+00:00",
        "data": {"n": n},
        **extra,
    }


def dumps(value: Any) -> bytes:
    return orjson.dumps(value)
