"""workflows.out -> JetStream, against the real brokers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bridge.config import BridgeSettings
from bridge.jetstream import REASON_HEADER, SOURCE_HEADER
from bridge.observability import Metrics
from bridge.runner import BridgeRunner
from tests.integration.bridge.conftest import Isolated
from workflows.settings import Settings
from workflows.wire import encode_pack, envelope, out_headers

pytestmark = pytest.mark.integration

SUBJECTS = [
    "contact.command.add_tag",
    "contact.command.remove_tag",
    "contact.command.add_tag",
]
PRODUCED = 1_767_225_600_000  # each record's Kafka timestamp: the envelope's occurredAt


def _effect(i: int, key: str) -> dict[str, object]:
    """A tag command as the worker writes it to workflows.out."""
    return {
        "kind": "add_tag",
        "tenantId": "t1",
        "contactId": f"c{i % 7}",
        "runId": f"run-{i}",
        "nodeId": "node",
        "idempotencyKey": key,
        "tag": f"tag-{i}",
    }


def _published(subject: str, key: str, body: dict[str, object]) -> bytes:
    """The platform envelope the bridge publishes for one of them."""
    data = {"runId": body["runId"], "nodeId": body["nodeId"], "tag": body["tag"]}
    return orjson.dumps(
        envelope(
            subject,
            event_id=key,
            tenant_id="t1",
            contact_id=str(body["contactId"]),
            occurred_at_ms=PRODUCED,
            data=data,
        )
    )


async def _create_out_topic(s: Settings, partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=s.kafka_bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(s.out_topic, num_partitions=partitions, replication_factor=1)])
    finally:
        await admin.close()


async def _run_outbound(s: Settings, bridge: BridgeSettings, done: Callable[[Metrics], bool]) -> BridgeRunner:
    """Run the outbound mirror until ``done(metrics)`` holds (at most 20 s), then a second for its commit."""
    runner = BridgeRunner(s, bridge)
    await runner.start()
    try:
        for _ in range(200):
            if done(runner.metrics):
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)  # let the commit land
    finally:
        await runner.stop()
    return runner


async def _assert_published(iso: Isolated, sent: list[tuple[str, str, dict[str, object]]]) -> None:
    """The outbound stream holds exactly the platform envelopes of ``sent`` (subject, key, effect)."""
    sub = await iso.js.pull_subscribe(iso.bridge.subject(">"), stream=iso.bridge.outbound_stream)
    got = []
    while len(got) < len(sent):
        got += await sub.fetch(len(sent) - len(got), timeout=5)
    received = {(m.subject, m.headers["Nats-Msg-Id"] if m.headers else "", m.data) for m in got}
    expected = {(iso.bridge.subject(subj), key, _published(subj, key, body)) for subj, key, body in sent}
    assert received == expected


async def test_records_reach_their_subjects_and_a_duplicate_is_dropped(isolated: Isolated) -> None:
    iso = isolated
    s = iso.settings
    await _create_out_topic(s, 3)

    keys = [f"run-{i}:node:1" for i in range(60)]
    sent = [(SUBJECTS[i % len(SUBJECTS)], key, _effect(i, key)) for i, key in enumerate(keys)]
    producer = AIOKafkaProducer(bootstrap_servers=s.kafka_bootstrap_servers, acks="all")
    await producer.start()
    try:
        for subject, key, body in sent:
            await producer.send(
                s.out_topic,
                orjson.dumps(body),
                key=str(body["contactId"]).encode(),
                headers=out_headers(subject, key),
                timestamp_ms=PRODUCED,
            )
        # The same effect produced twice (a worker re-sent it after a crash): JetStream must drop it.
        subject, key, body = sent[5]
        await producer.send(
            s.out_topic,
            orjson.dumps(body),
            key=str(body["contactId"]).encode(),
            headers=out_headers(subject, key),
            timestamp_ms=PRODUCED,
        )
        # A record nobody can route: dead-lettered, never blocking the partition.
        await producer.send(s.out_topic, b'{"orphan":true}', key=b"c0", partition=0)
        await producer.flush()
    finally:
        await producer.stop()

    runner = await _run_outbound(
        s,
        iso.bridge.model_copy(update={"directions": "outbound"}),
        lambda m: m.messages_out._value.get() >= len(sent) and m.duplicates_out._value.get() > 0,
    )

    info = await iso.js.stream_info(iso.bridge.outbound_stream)
    assert info.state.messages == len(sent)  # 61 records, one duplicate dropped
    assert runner.metrics.duplicates_out._value.get() == 1
    assert runner.metrics.dead_lettered.labels("outbound")._value.get() == 1

    await _assert_published(iso, sent)

    dlq = await iso.js.pull_subscribe(s.nats_dlq_subject, stream=iso.bridge.dlq_stream)
    (dead,) = await dlq.fetch(1, timeout=5)
    assert dead.data == b'{"orphan":true}'
    assert dead.headers is not None
    assert "subject" in dead.headers[REASON_HEADER]

    # Offsets were committed only after JetStream acknowledged: the group is at the end of every partition.
    consumer = AIOKafkaConsumer(
        bootstrap_servers=s.kafka_bootstrap_servers, group_id=iso.bridge.outbound_group
    )
    await consumer.start()
    try:
        tps = [TopicPartition(s.out_topic, p) for p in range(3)]
        ends = await consumer.end_offsets(tps)
        for tp in tps:
            assert await consumer.committed(tp) == ends[tp]
    finally:
        await consumer.stop()


async def test_packed_outputs_reach_their_subjects_one_by_one_and_a_bad_one_is_dead_lettered_alone(
    isolated: Isolated,
) -> None:
    """Records holding packs (JSON arrays of outputs, as the worker writes them): every output is published
    to the subject it names with its own idempotency key, published a window at a time; an output naming no
    subject is dead-lettered alone, a pack that is not JSON whole."""
    iso = isolated
    s = iso.settings
    await _create_out_topic(s, 2)

    keys = [f"run-{i}:node:1" for i in range(45)]
    sent = [(SUBJECTS[i % len(SUBJECTS)], key, _effect(i, key)) for i, key in enumerate(keys)]
    items = [orjson.dumps({**body, "subject": subject}) for subject, _key, body in sent]
    orphan = b'{"kind":"add_tag","tenantId":"t1","contactId":"c1","idempotencyKey":"nowhere"}'
    packs = [
        encode_pack(items[:20]),
        encode_pack([*items[20:30], orphan, items[5]]),  # no subject, then a duplicate of an earlier one
        encode_pack(items[30:]),
        b'[{"kind":"add_tag"',  # cut short
    ]
    producer = AIOKafkaProducer(bootstrap_servers=s.kafka_bootstrap_servers, acks="all")
    await producer.start()
    try:
        for i, pack in enumerate(packs):
            await producer.send(s.out_topic, pack, partition=i % 2, timestamp_ms=PRODUCED)
        await producer.flush()
    finally:
        await producer.stop()

    runner = await _run_outbound(
        s,
        iso.bridge.model_copy(update={"directions": "outbound", "outbound_window": 7}),
        lambda m: (
            m.messages_out._value.get() >= len(sent) and m.dead_lettered.labels("outbound")._value.get() >= 2
        ),
    )

    assert runner.metrics.duplicates_out._value.get() == 1
    await _assert_published(iso, sent)
    info = await iso.js.stream_info(iso.bridge.outbound_stream)
    assert info.state.messages == len(sent)

    dlq = await iso.js.pull_subscribe(s.nats_dlq_subject, stream=iso.bridge.dlq_stream)
    dead = await dlq.fetch(2, timeout=5)
    by_value = {m.data: m.headers or {} for m in dead}
    assert set(by_value) == {orphan, packs[3]}
    assert "subject" in by_value[orphan][REASON_HEADER]
    assert by_value[orphan][SOURCE_HEADER] == f"{s.out_topic}:1:0#10"  # the 11th output of that record
    assert "pack" in by_value[packs[3]][REASON_HEADER]
