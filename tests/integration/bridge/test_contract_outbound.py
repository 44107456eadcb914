"""The engine's records on workflows.out reach NATS as platform envelopes, on the real brokers: a step still
pending is committed and never published, everything else conforms to docs/asyncapi.yaml."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bridge.runner import BridgeRunner
from streams.engine import event_types as et
from tests.asyncapi_contract import errors
from tests.integration.bridge.conftest import Isolated
from tests.unit.engine.helpers import T0, Harness, node, workflow
from workflows.wire import out_headers

pytestmark = pytest.mark.integration


async def test_engine_records_are_envelopes_and_pending_steps_are_not_published(
    isolated: Isolated,
) -> None:
    s = isolated.settings
    h = Harness(
        workflow(
            [
                node("mail", "send_email", templateId="t1"),
                node("wait", "delay", duration=1, unit="minutes"),
                node("tag", "add_tag", tag="vip"),
            ]
        )
    )
    effects = h.create(email="ada@example.com")
    timer = next(e for e in effects if e.kind == "schedule_timer")
    effects += h.fire(timer)
    records = [e for e in effects if e.route == "nats"]
    pending = [e for e in records if e.subject == et.NODE_EXECUTED and e.step["status"] == "pending"]  # type: ignore[union-attr]
    assert len(pending) == 1

    admin = AIOKafkaAdminClient(bootstrap_servers=s.kafka_bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(s.out_topic, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=s.kafka_bootstrap_servers, acks="all")
    await producer.start()
    try:
        for e in records:
            assert e.subject is not None
            await producer.send_and_wait(
                s.out_topic,
                orjson.dumps(e.to_dict()),
                key=e.contact_id.encode(),
                headers=out_headers(e.subject, e.idempotency_key),
                timestamp_ms=T0,
            )
    finally:
        await producer.stop()

    runner = BridgeRunner(s, isolated.bridge.model_copy(update={"directions": "outbound"}))
    await runner.start()
    try:
        for _ in range(200):
            if runner.metrics.messages_out._value.get() >= len(records) - 1:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)  # let the commit land
    finally:
        await runner.stop()

    sub = await isolated.js.pull_subscribe(
        isolated.bridge.subject(">"), stream=isolated.bridge.outbound_stream
    )
    got = []
    while len(got) < len(records) - 1:
        got += await sub.fetch(len(records) - 1 - len(got), timeout=5)
    info = await isolated.js.stream_info(isolated.bridge.outbound_stream)
    assert info.state.messages == len(records) - 1  # everything but the pending step

    published = {m.headers["Nats-Msg-Id"] if m.headers else "": m for m in got}
    assert pending[0].idempotency_key not in published
    assert set(published) == {e.idempotency_key for e in records} - {pending[0].idempotency_key}
    for msg_id, m in published.items():
        subject = m.subject.removeprefix(isolated.bridge.subject(""))
        body = orjson.loads(m.data)
        assert body["id"] == msg_id
        assert body["type"] == subject
        assert errors(subject, body) == [], body
    steps = [orjson.loads(m.data)["data"] for m in got if m.subject.endswith(et.NODE_EXECUTED)]
    assert [(d["nodeId"], d["status"]) for d in steps] == [
        ("mail", "completed"),
        ("wait", "completed"),
        ("tag", "completed"),
    ]

    # The pending step's offset was committed with the rest: nothing is published again after a restart.
    consumer = AIOKafkaConsumer(
        bootstrap_servers=s.kafka_bootstrap_servers, group_id=isolated.bridge.outbound_group
    )
    await consumer.start()
    try:
        tps = [TopicPartition(s.out_topic, 0)]
        ends = await consumer.end_offsets(tps)
        for tp in tps:
            assert await consumer.committed(tp) == ends[tp]
    finally:
        await consumer.stop()
