"""The contact path's input: ``workflows.events`` read by the worker itself, for the partitions it owns.

Faust keeps the consumer group: it assigns the ``contacts`` table's partitions, recovers them from the
changelog and hands them over on a rebalance. The events of a partition are read here, with a plain
aiokafka consumer (no group), from the worker's own position: the ``P|`` key that every commit unit
writes with the states it produced (``streams.commit``). So a restart, a rebalance or a store rebuilt
from the changelog resumes right after the last record whose effects are durable, whatever offsets the
group committed.

Why not Faust's stream: its fetcher delivered records one by one at about 100 us of CPU each, and under
preloaded bursts or around a rebalance it sometimes stopped feeding some partitions (the worker
benchmark stalled at 95-97% of its input; a two-worker test started 15 of 30 runs). Reading the
partitions directly has neither problem and hands the processor whole fetches.

The same consumer reads ``workflows.definitions`` (one partition, compacted) from its start on every boot:
no event is applied before the definitions that existed when the worker started, and before each fetch's
events the reader reads the definitions up to the high watermark that fetch reported, so a workflow
activated before an event was produced is known when that event is applied.

A rebalance: Faust sends ``on_partitions_revoked`` before it touches the stores; :meth:`EventReader.hold`
returns once the unit in progress is durable, and nothing fetched before it is processed. After the
assignment and the recovery, the reader seeks every owned partition to its stored position again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from streams.commit import CommitUnit
from streams.definitions import DefinitionFeed
from streams.host import Host
from streams.metrics import Metrics
from streams.processor import InRecord

log = logging.getLogger("streams.reader")

# A fetch is processed in units of about this many value bytes: one unit's engine work must stay short
# enough not to starve heartbeats, the pump and a rebalance waiting in hold().
UNIT_BYTES = 1_000_000


class EventReader:
    def __init__(
        self,
        bootstrap_servers: str,
        topic: str,
        definitions_topic: str,
        *,
        client_id: str,
        host: Host,
        commit: CommitUnit,
        feed: DefinitionFeed,
        metrics: Metrics,
        max_records: int,
        max_wait_ms: int,
    ) -> None:
        self._bootstrap = bootstrap_servers
        self.topic = topic
        self.definitions_topic = definitions_topic
        self._client_id = client_id
        self._host = host
        self._commit = commit
        self._feed = feed
        self._metrics = metrics
        self._max_records = max_records
        self._max_wait_ms = max_wait_ms
        self._consumer: Any = None
        self._task: asyncio.Task[None] | None = None
        # Held while a unit is processed; others that write the stores (the timer pump) share it, so hold()
        # also waits for them.
        self._lock = commit.lock
        self._epoch = 0  # bumped by every hold(): what was fetched before it is dropped, positions re-read
        self._assigned: set[int] = set()
        self._assigned_epoch = -1
        self._definitions_tp: Any = None
        self._definitions_next = 0

    async def start(self) -> None:
        from aiokafka import AIOKafkaConsumer

        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            client_id=self._client_id,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",  # a position below the log start reads what is retained
            fetch_max_wait_ms=self._max_wait_ms,
            max_partition_fetch_bytes=4 * 1024 * 1024,
            fetch_max_bytes=32 * 1024 * 1024,
        )
        await self._consumer.start()
        from aiokafka import TopicPartition

        self._definitions_tp = TopicPartition(self.definitions_topic, 0)
        self._consumer.assign([self._definitions_tp])
        await self._consumer.seek_to_beginning(self._definitions_tp)
        end = (await self._consumer.end_offsets([self._definitions_tp]))[self._definitions_tp]
        await self._read_definitions(end)
        self._task = asyncio.create_task(self._run(), name="events-reader")

    async def stop(self) -> None:
        async with self._lock:  # let the unit in progress finish
            if self._task is not None:
                self._task.cancel()
                await asyncio.gather(self._task, return_exceptions=True)
                self._task = None
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None

    async def hold(self) -> None:
        """Called when partitions are revoked: returns once no unit is in progress; none starts until the
        next assignment is recovered (``owned`` is empty meanwhile), and every partition is then re-sought."""
        self._epoch += 1
        async with self._lock:
            pass

    def positions(self, partitions: set[int]) -> dict[int, tuple[int, int | None]]:
        """(next offset to read, high watermark) of the given partitions being read, for the lag gauge."""
        consumer = self._consumer
        if consumer is None:
            return {}
        from aiokafka import TopicPartition

        out: dict[int, tuple[int, int | None]] = {}
        for p in self._assigned & partitions:
            tp = TopicPartition(self.topic, p)
            stored = self._commit.position(p)
            out[p] = (stored + 1 if stored is not None else 0, consumer.highwater(tp))
        return out

    async def _run(self) -> None:
        while True:
            try:
                await self._step()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("reading events failed, re-seeking", extra={"error": repr(exc)[:300]})
                self._assigned_epoch = -1
                await asyncio.sleep(1.0)

    async def _step(self) -> None:
        # The epoch is read before the owned partitions: a hold() during the awaits of _assign (seeking a
        # partition without a stored position asks the broker) must void this fetch. Read after them, it
        # let a unit of partitions already handed over run after hold() had returned.
        epoch = self._epoch
        owned = self._host.owned_partitions()
        if owned != self._assigned or self._assigned_epoch != epoch:
            await self._assign(owned, epoch)
        fetched = await self._consumer.getmany(timeout_ms=self._max_wait_ms, max_records=self._max_records)
        definitions = fetched.pop(self._definitions_tp, None)
        if definitions:
            self._apply_definitions(definitions)
        await self._read_definitions(self._consumer.highwater(self._definitions_tp))
        if not fetched:
            return
        unit: list[InRecord] = []
        size = 0
        for tp, batch in fetched.items():
            for r in batch:
                headers = list(r.headers or ())
                unit.append(InRecord(tp.partition, r.offset, r.key, r.value, headers, r.timestamp))
                size += len(r.value or b"")
                if size >= UNIT_BYTES:
                    if not await self._process_unit(unit, epoch):
                        return
                    unit, size = [], 0
        if unit:
            await self._process_unit(unit, epoch)

    async def _process_unit(self, unit: list[InRecord], epoch: int) -> bool:
        async with self._lock:
            if epoch != self._epoch:
                # A rebalance started after the fetch: the rest is read again from the stored positions.
                return False
            await self._commit.run(unit)
            return True

    def _apply_definitions(self, records: list[Any]) -> None:
        for r in records:
            if r.offset >= self._definitions_next:
                self._feed.apply(r.key, r.value)
                self._definitions_next = r.offset + 1
        if records:
            self._metrics.definitions.set(len(self._feed.index))
            # The definitions topic has one partition: its end offset says whether this worker is up to date.
            self._metrics.definitions_position.set(self._definitions_next)

    async def _read_definitions(self, until: int | None) -> None:
        """Apply the definition records below offset ``until`` that were not applied yet."""
        tp = self._definitions_tp
        while until is not None and await self._consumer.position(tp) < until:
            got = await self._consumer.getmany(tp, timeout_ms=self._max_wait_ms)
            self._apply_definitions(got.get(tp, []))

    async def _assign(self, owned: set[int], epoch: int) -> None:
        from aiokafka import TopicPartition

        tps = [TopicPartition(self.topic, p) for p in sorted(owned)]
        self._consumer.assign([self._definitions_tp, *tps])  # a new assignment forgets every position
        self._consumer.seek(self._definitions_tp, self._definitions_next)
        for tp in tps:
            stored = self._commit.position(tp.partition)
            if stored is None:
                await self._consumer.seek_to_beginning(tp)
            else:
                self._consumer.seek(tp, stored + 1)
        if owned != self._assigned:
            log.info("reading partitions", extra={"partitions": sorted(owned)})
        self._assigned, self._assigned_epoch = owned, epoch
