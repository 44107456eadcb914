"""The commit point: a unit of ``workflows.events`` records, or a pump tick, made durable in one order.

Durability order of a commit unit (the steps are numbered the same way in :meth:`CommitUnit.commit`):

1. outputs (``workflows.out``, packed per partition: ``streams.sink.packed``; the DLQ; fired timers into
   ``workflows.events``) are produced and acknowledged;
2. the changelog records (timer and pending-action keys first, then states, then the partition's position
   ``P|``) are produced and acknowledged;
3. the write batch of each partition is applied to the local store with the changelog offset it reached;
4. the unit's new HTTP actions are offered to the executor, which takes them only if it has a free slot and
   never makes the unit wait. An action it does not take stays pending as its ``A|`` key (written in step
   2) and is offered again by the worker's sweep.

A record Kafka refuses as too large is never retried: the processor keeps states and outputs under
``WORKFLOWS_WORKER_MAX_RECORD_BYTES`` (dead-lettering the event that would exceed it), and a record refused
anyway is dead-lettered (an output) or left out of the local write (a changelog record) with an error log.

Units and pump ticks hold :attr:`CommitUnit.lock`, so the stores have one writer at a time. A crash anywhere
re-reads the unit from the stored positions. Contacts whose state reached the changelog had all their
outputs acknowledged before, and the replay is a no-op for them (their event ids are in the applied
window); the others are applied again and re-emit the same effects with the same idempotency keys. The
local store is never ahead of the changelog, so a restart with the same folder and one with an empty folder
(rebuilt from the changelog) reach the same state.

The unit runs over the ``Sink`` and ``PartitionStore`` protocols: ``MemorySink`` and
``MemoryPartitionStore`` are its twins in the tests.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence

from aiokafka.errors import MessageSizeTooLargeError, RecordListTooLargeError, RecordTooLargeError

from streams.actions import HttpAction
from streams.keys import POSITION_KEY
from streams.metrics import Metrics
from streams.processor import InRecord, Processor, UnitResult
from streams.runlog import RunLog
from streams.sink import OutRecord, Sink, packed
from streams.store import PartitionStore
from workflows.wire import DLQ_REASON_HEADER

log = logging.getLogger("streams.worker")

_TOO_LARGE = (MessageSizeTooLargeError, RecordTooLargeError, RecordListTooLargeError)

Changes = dict[int, dict[bytes, bytes | None]]


def now_ms() -> int:
    return int(time.time() * 1000)


class CommitUnit:
    def __init__(
        self,
        sink: Sink,
        store: PartitionStore,
        processor: Processor,
        *,
        changelog_topic: str,
        metrics: Metrics,
        offer: Callable[[HttpAction], bool] = lambda _action: False,
        run_log: RunLog | None = None,
    ) -> None:
        self.sink = sink
        self.store = store
        self.processor = processor
        self.changelog_topic = changelog_topic
        self.dlq_topic = processor.dlq_topic
        self.metrics = metrics
        self._offer = offer
        self._run_log = run_log
        self.lock = asyncio.Lock()  # one writer of the stores at a time: a unit or a pump tick

    def position(self, partition: int) -> int | None:
        """Offset of the last ``workflows.events`` record of this partition whose effects are durable."""
        stored = self.store.get(partition, POSITION_KEY)
        return int(stored) if stored is not None else None

    async def run(self, records: Sequence[InRecord]) -> UnitResult:
        """Process one unit of records and make it durable; the caller holds :attr:`lock`."""
        started = time.perf_counter()
        now = now_ms()
        result = self.processor.process(records, now)
        last: dict[int, int] = {}
        for r in records:
            if r.offset > last.get(r.partition, -1):
                last[r.partition] = r.offset
        for partition, offset in last.items():
            result.state_changes.setdefault(partition, {})[POSITION_KEY] = str(offset).encode()
        outputs = packed(
            result.outputs, out_topic=self.processor.out_topic, max_bytes=self.processor.max_record_bytes
        )
        await self.commit(outputs, {p: result.changes(p) for p in result.partitions()}, result.actions)
        self._observe(result, len(records), started)
        return result

    async def commit(
        self, outputs: Sequence[OutRecord], changes: Changes, actions: Sequence[HttpAction] = ()
    ) -> None:
        """The durability steps in order; the caller holds :attr:`lock`."""
        # 1. outputs, acknowledged
        await self.send(outputs)
        if changes:
            # 2. changelog records, acknowledged
            offsets = await self._changelog(changes)
            # 3. the local write batch of each partition, with the changelog offset it reached
            for partition, items in changes.items():
                self.store.write(partition, items, offsets.get((self.changelog_topic, partition)))
        # 4. new HTTP actions offered, never awaited (one not taken stays pending as its A| key)
        for action in actions:
            self._offer(action)

    async def _changelog(self, changes: Changes) -> dict[tuple[str, int], int]:
        topic = self.changelog_topic
        offsets, refused = await self._deliver(
            [OutRecord(topic, p, key, value) for p, items in changes.items() for key, value in items.items()]
        )
        for record in refused:
            # Kafka will not take it, so the local store does not either: a restart from an empty folder
            # reaches the same state. The processor's budget makes this the broker's limit below ours.
            changes[record.partition].pop(record.key or b"", None)
            log.error(
                "changelog record refused as too large, not stored",
                extra={"partition": record.partition, "bytes": len(record.value or b"")},
            )
        return offsets

    async def send(self, records: Sequence[OutRecord]) -> dict[tuple[str, int], int]:
        """Deliver; a record refused as too large is dead-lettered (reason and headers, no value)."""
        if not records:
            return {}
        offsets, refused = await self._deliver(records)
        if refused:
            for record in refused:
                log.error(
                    "record refused as too large, dead-lettered",
                    extra={"topic": record.topic, "bytes": len(record.value or b"")},
                )
            notes = [_too_large_note(self.dlq_topic, r) for r in refused if r.topic != self.dlq_topic]
            self.metrics.dead.inc(len(refused))
            if notes:
                await self._deliver(notes)
        return offsets

    async def _deliver(
        self, records: Sequence[OutRecord]
    ) -> tuple[dict[tuple[str, int], int], list[OutRecord]]:
        """Deliver or keep trying, except records Kafka refuses as too large: those are returned.

        The unit must not count as done (or be dropped) before its records are out. Re-sending a whole
        group after a partial failure duplicates some records; their idempotency keys (outputs) and
        last-write-wins keys (changelog) absorb that.
        """
        delay = 0.5
        while True:
            try:
                return await self.sink.send_all(records), []
            except asyncio.CancelledError:
                raise
            except _TOO_LARGE as exc:
                if len(records) <= 1:
                    return {}, list(records)
                log.warning(
                    "a record was refused as too large; sending one by one", extra={"error": repr(exc)}
                )
                offsets: dict[tuple[str, int], int] = {}
                refused: list[OutRecord] = []
                for record in records:
                    sent, gone = await self._deliver([record])
                    for tp, offset in sent.items():
                        offsets[tp] = max(offset, offsets.get(tp, -1))
                    refused.extend(gone)
                return offsets, refused
            except Exception as exc:
                log.error("produce failed, retrying", extra={"error": repr(exc)[:300], "retryInS": delay})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    def _observe(self, result: UnitResult, records: int, started: float) -> None:
        m = self.metrics
        m.records.inc(records)
        m.events.inc(result.events)
        if result.dead:
            m.dead.inc(result.dead)
        for status, count in result.run_events.items():
            m.runs.labels(status).inc(count)
        if result.events:
            m.step.observe(result.step_seconds / result.events)
        done = now_ms()
        m.unit.observe(time.perf_counter() - started)
        for produced in result.produced_at_ms:
            m.age.observe(max(0, done - produced) / 1000)
        for lateness in result.timer_lateness_ms:
            m.timer_lateness.observe(lateness / 1000)
        if self._run_log is not None:
            self._run_log.write(result.run_lines)


def _too_large_note(dlq_topic: str, record: OutRecord) -> OutRecord:
    reason = f"{record.topic}: record of {len(record.value or b'')} bytes refused by Kafka as too large"
    return OutRecord(dlq_topic, 0, record.key, None, [*record.headers, (DLQ_REASON_HEADER, reason.encode())])
