"""Producing a commit unit's records: batched per partition; every send is awaited before the unit is done.

:func:`packed` puts a unit's ``workflows.out`` outputs into packs (``workflows.wire``), a few records per
partition instead of one per output. ``KafkaSink`` fills aiokafka ``BatchBuilder``s per (topic, partition)
instead of one ``send`` per record (the per-record path costs several times more CPU), then awaits every
batch's delivery. ``MemorySink`` is its in-memory twin for unit tests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from workflows.wire import encode_pack, pack_outputs

Headers = list[tuple[str, bytes]]

# The largest pack of workflows.out: larger ones left the workers waiting longer on each unit's produce
# (measured with two workers: 0.48-0.53 of the baseline at 64 KiB, 0.46-0.52 at the record budget).
PACK_BYTES: Final = 64 * 1024


@dataclass(slots=True)
class OutRecord:
    topic: str
    partition: int
    key: bytes | None
    value: bytes | None
    headers: Headers = field(default_factory=list)


def packed(outputs: Sequence[OutRecord], *, out_topic: str, max_bytes: int) -> list[OutRecord]:
    """The records that carry ``outputs``: those for ``out_topic`` packed per partition in their order, at
    most ``min(max_bytes, PACK_BYTES)`` each unless one output alone is larger (the processor keeps every
    output small enough for a pack of one within ``max_bytes``). Any other record as it is."""
    records: list[OutRecord] = []
    by_partition: dict[int, list[bytes]] = {}
    for output in outputs:
        if output.topic == out_topic:
            by_partition.setdefault(output.partition, []).append(output.value or b"")
        else:
            records.append(output)
    limit = min(max_bytes, PACK_BYTES)
    for partition, values in by_partition.items():
        for group in pack_outputs(values, limit):
            records.append(OutRecord(out_topic, partition, None, encode_pack(group)))
    return records


class Sink(Protocol):
    async def send_all(self, records: Sequence[OutRecord]) -> dict[tuple[str, int], int]:
        """Deliver every record (raises if any fails); returns the last offset per (topic, partition)."""
        ...

    async def partition_count(self, topic: str) -> int: ...


class KafkaSink:
    def __init__(self, bootstrap_servers: str, *, client_id: str) -> None:
        self._bootstrap = bootstrap_servers
        self._client_id = client_id
        self._producer: Any = None

    async def start(self) -> None:
        from aiokafka import AIOKafkaProducer

        self._producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            client_id=self._client_id,
            acks="all",
            # Batches are built by us; a short linger only merges the units of concurrent callers.
            linger_ms=1,
            # Below the broker's default message.max.bytes (1 MiB): a larger batch is refused, not split.
            max_batch_size=512 * 1024,
            max_request_size=1024 * 1024,
            request_timeout_ms=30_000,
        )
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def partition_count(self, topic: str) -> int:
        partitions = await self._producer.partitions_for(topic)
        return len(partitions)

    async def send_all(self, records: Sequence[OutRecord]) -> dict[tuple[str, int], int]:
        if not records:
            return {}
        producer = self._producer
        groups: dict[tuple[str, int], list[OutRecord]] = {}
        for record in records:
            groups.setdefault((record.topic, record.partition), []).append(record)
        pending: list[tuple[tuple[str, int], int, Any]] = []
        for (topic, partition), items in groups.items():
            batch = producer.create_batch()
            count = 0
            for item in items:
                while (
                    batch.append(key=item.key, value=item.value, timestamp=None, headers=item.headers) is None
                ):
                    if count == 0:
                        raise ValueError(f"record of {len(item.value or b'')} bytes exceeds the batch size")
                    pending.append(
                        (
                            (topic, partition),
                            count,
                            await producer.send_batch(batch, topic, partition=partition),
                        )
                    )
                    batch, count = producer.create_batch(), 0
                count += 1
            pending.append(
                ((topic, partition), count, await producer.send_batch(batch, topic, partition=partition))
            )
        results = await asyncio.gather(*(fut for _tp, _n, fut in pending))
        last: dict[tuple[str, int], int] = {}
        for (tp, count, _fut), meta in zip(pending, results, strict=True):
            end = meta.offset + count - 1
            if end > last.get(tp, -1):
                last[tp] = end
        return last


class MemorySink:
    def __init__(self, partitions: int = 12) -> None:
        self.records: list[OutRecord] = []
        self.sent: dict[tuple[str, int, int], OutRecord] = {}
        self.partitions = partitions
        self._offsets: dict[tuple[str, int], int] = {}

    async def partition_count(self, topic: str) -> int:
        return self.partitions

    async def send_all(self, records: Sequence[OutRecord]) -> dict[tuple[str, int], int]:
        last: dict[tuple[str, int], int] = {}
        for record in records:
            tp = (record.topic, record.partition)
            offset = self._offsets.get(tp, -1) + 1
            self._offsets[tp] = last[tp] = offset
            self.records.append(record)
            self.sent[(record.topic, record.partition, offset)] = record
        return last
