"""Smoke tests: the project talks to a real Kafka, a real NATS JetStream and a real PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.partitioner import DefaultPartitioner

from workflows.settings import Settings

pytestmark = pytest.mark.integration


async def test_kafka_keyed_record_on_12_partitions(services: Settings) -> None:
    topic = f"smoke.{uuid.uuid4().hex[:12]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=services.kafka_bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=12, replication_factor=1)])
        for _ in range(50):  # the controller answers before every partition has a leader
            described = await admin.describe_topics([topic])
            if len(described[0]["partitions"]) == 12:
                break
            await asyncio.sleep(0.1)
        assert len(described[0]["partitions"]) == 12

        key = b"contact-0042"
        producer = AIOKafkaProducer(bootstrap_servers=services.kafka_bootstrap_servers, acks="all")
        await producer.start()
        try:
            meta = await producer.send_and_wait(topic, b'{"hello":"kafka"}', key=key)
        finally:
            await producer.stop()
        # The key alone decides the partition (murmur2, as Kafka's default partitioner computes it).
        expected = DefaultPartitioner()(key, list(range(12)), list(range(12)))
        assert meta.partition == expected

        consumer = AIOKafkaConsumer(
            bootstrap_servers=services.kafka_bootstrap_servers, enable_auto_commit=False
        )
        await consumer.start()
        try:
            tp = TopicPartition(topic, meta.partition)
            consumer.assign([tp])
            await consumer.seek_to_beginning(tp)
            batch = await consumer.getmany(tp, timeout_ms=10_000)
        finally:
            await consumer.stop()
        records = batch[tp]
        assert [(r.key, r.value) for r in records] == [(key, b'{"hello":"kafka"}')]
    finally:
        await admin.delete_topics([topic])
        await admin.close()


async def test_jetstream_publish_consume_ack(services: Settings) -> None:
    import nats

    name = f"SMOKE_{uuid.uuid4().hex[:10].upper()}"
    subject = f"smoke.{name.lower()}"
    nc = await nats.connect(services.nats_url)
    js = nc.jetstream()
    try:
        await js.add_stream(name=name, subjects=[subject])
        ack = await js.publish(subject, b"hello jetstream", headers={"Nats-Msg-Id": "m-1"})
        duplicate = await js.publish(subject, b"hello jetstream", headers={"Nats-Msg-Id": "m-1"})
        assert ack.stream == name
        assert duplicate.duplicate is True

        sub = await js.pull_subscribe(subject, durable="smoke")
        msgs = await sub.fetch(1, timeout=5)
        assert [m.data for m in msgs] == [b"hello jetstream"]
        await msgs[0].ack_sync()
        info = await js.consumer_info(name, "smoke")
        assert info.ack_floor.stream_seq == ack.seq
        assert info.num_pending == 0
    finally:
        await js.delete_stream(name)
        await nc.close()


async def test_postgres_query_through_sqlalchemy_asyncpg(services: Settings) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(services.database_url.get_secret_value())
    try:
        async with engine.connect() as conn:
            assert engine.dialect.driver == "asyncpg"
            value = await conn.scalar(
                text("SELECT CAST(:a AS integer) + CAST(:b AS integer)"), {"a": 40, "b": 2}
            )
            db = await conn.scalar(text("SELECT current_database()"))
    finally:
        await engine.dispose()
    assert value == 42
    assert db == services.database_url.get_secret_value().rsplit("/", 1)[1]
