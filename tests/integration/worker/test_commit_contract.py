"""One contract for the commit unit's seams: every store (RocksDB, memory) with every sink (Kafka, memory).

What the commit unit relies on: a sink delivers a group of records and reports the last offset per
(topic, partition); a store applies a write batch (puts and deletes) with the changelog offset it reached,
reads keys back, scans a key range in byte order and lists its open partitions.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import faust
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from streams.actions import HttpAction
from streams.commit import CommitUnit
from streams.keys import POSITION_KEY, state_key
from streams.metrics import Metrics
from streams.processor import Processor
from streams.sink import KafkaSink, MemorySink, OutRecord, Sink
from streams.store import MemoryPartitionStore, PartitionStore, RocksPartitionStore
from tests.unit.streams.builders import TENANT, contact_on, envelope, feed_with, record
from tests.unit.streams.builders import delay_workflow as delay_flow
from workflows.settings import Settings

pytestmark = pytest.mark.integration

PARTITIONS = 4


@pytest.fixture(params=["memory", "rocksdb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PartitionStore]:
    if request.param == "memory":
        yield MemoryPartitionStore()
        return
    app = faust.App(f"contract-{uuid.uuid4().hex[:8]}", store="rocksdb://", datadir=str(tmp_path))
    table = app.Table("contacts", partitions=PARTITIONS, key_type=bytes, value_type=bytes)
    yield RocksPartitionStore(table.data)


@pytest.fixture
async def topics(services: Settings) -> AsyncIterator[dict[str, str]]:
    uid = uuid.uuid4().hex[:8]
    names = {
        "out": f"contract-{uid}.out",
        "changelog": f"contract-{uid}.changelog",
        "dlq": f"contract-{uid}.dlq",
    }
    admin = AIOKafkaAdminClient(bootstrap_servers=services.kafka_bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(t, PARTITIONS, 1) for t in names.values()])
        yield names
        await admin.delete_topics(list(names.values()))
    finally:
        await admin.close()


@pytest.fixture(params=["memory", "kafka"])
async def sink(request: pytest.FixtureRequest, services: Settings) -> AsyncIterator[Sink]:
    if request.param == "memory":
        yield MemorySink(PARTITIONS)
        return
    kafka = KafkaSink(services.kafka_bootstrap_servers, client_id="contract")
    await kafka.start()
    try:
        yield kafka
    finally:
        await kafka.stop()


async def test_a_sink_reports_the_last_offset_of_each_partition(sink: Sink, topics: dict[str, str]) -> None:
    out = topics["out"]
    first = await sink.send_all([OutRecord(out, 0, b"k", b"a"), OutRecord(out, 1, b"k", b"b")])
    second = await sink.send_all([OutRecord(out, 0, b"k", b"c"), OutRecord(out, 0, b"k", b"d")])
    assert set(first) == {(out, 0), (out, 1)}
    assert second[(out, 0)] == first[(out, 0)] + 2
    assert await sink.partition_count(out) == PARTITIONS


def test_a_store_applies_a_batch_reads_and_scans_in_byte_order(store: PartitionStore) -> None:
    store.write(2, {b"T|b": b"2", b"T|a": b"1", b"S|x": b"s"}, 10)
    store.write(2, {b"T|b": None, b"T|c": b"3"}, 11)
    assert store.get(2, b"T|a") == b"1"
    assert store.get(2, b"T|b") is None
    assert list(store.scan(2, b"T|", b"T}")) == [(b"T|a", b"1"), (b"T|c", b"3")]
    assert 2 in store.open_partitions()
    assert store.get(3, b"T|a") is None


async def test_a_unit_is_durable_in_order_outputs_changelog_then_store(
    store: PartitionStore, sink: Sink, topics: dict[str, str]
) -> None:
    flow = delay_flow()
    processor = Processor(
        store,
        feed_with(flow).index,
        source_topic="events",
        out_topic=topics["out"],
        dlq_topic=topics["dlq"],
        partitions=PARTITIONS,
        out_partitions=PARTITIONS,
    )
    offered: list[HttpAction] = []

    def offer(action: HttpAction) -> bool:
        offered.append(action)
        return True

    commit = CommitUnit(
        sink,
        store,
        processor,
        changelog_topic=topics["changelog"],
        metrics=Metrics(),
        offer=offer,
    )
    contact = contact_on(1)
    async with commit.lock:
        result = await commit.run([record(1, 41, envelope("e1", "contact.created", contact))])
    assert result.outputs, "the run's effects"
    assert commit.position(1) == 41
    assert store.get(1, state_key(TENANT, contact)) is not None
    assert any(key.startswith(b"T|") for key, _ in store.scan(1, b"T|", b"T}")), "the delay's timer"
    # Replaying the same record changes nothing and emits nothing (its id is in the applied window).
    async with commit.lock:
        again = await commit.run([record(1, 41, envelope("e1", "contact.created", contact))])
    assert again.outputs == []
    assert commit.position(1) == 41
    assert store.get(1, POSITION_KEY) == b"41"
