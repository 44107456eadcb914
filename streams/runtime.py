"""The worker's moving parts on top of Faust: commit units, the timer pump, the stale scan, metrics.

Durability order of a commit unit (records of one fetch from ``workflows.events``, see ``streams.reader``):

1. outputs (``workflows.out``, DLQ) are produced and acknowledged;
2. the changelog records (timer and pending-action keys first, then states) are produced and acknowledged;
3. the RocksDB write batch of each partition is applied with the changelog offset it reached and the
   partition's position (``P|``, the last record applied);
4. the unit's new HTTP actions are offered to the executor, which takes them only if it has a free slot
   and never makes the unit wait. An action it does not take stays pending as its ``A|`` key (written in
   step 2) and is offered again by the sweep in the pump tick: when a slot frees, when partitions are
   assigned (so a call pending when a worker stopped is made after the restart), and periodically.

A record Kafka refuses as too large is never retried: the processor keeps states and outputs under
``WORKFLOWS_WORKER_MAX_RECORD_BYTES`` (dead-lettering the event that would exceed it), and a record refused
anyway is dead-lettered (an output) or left out of the local write (a changelog record) with an error log.

Units and pump ticks hold one lock, so the stores have one writer at a time. A crash anywhere re-reads the
unit from the stored positions. Contacts whose state reached the changelog had all their outputs
acknowledged before, and the replay is a no-op for them (their event ids are in the applied window);
the others are applied again and re-emit the same effects with the same idempotency keys. The local
RocksDB file is never ahead of the changelog, so a restart with the same folder and one with an empty
folder (rebuilt from the changelog) reach the same state.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aiokafka.errors import MessageSizeTooLargeError, RecordListTooLargeError, RecordTooLargeError

from streams.actions import decode_action, pending_actions
from streams.definitions import DefinitionFeed
from streams.executor import ActionExecutor
from streams.keys import POSITION_KEY
from streams.metrics import Metrics
from streams.processor import DLQ_REASON_HEADER, InRecord, Processor, UnitResult
from streams.reader import EventReader
from streams.runlog import log_effect, run_log
from streams.sink import KafkaSink, OutRecord
from streams.stale import scan_stale
from streams.store import PartitionStore
from streams.timers import TimerPump, pack
from streams.worker_settings import WorkerSettings
from workflows.settings import Settings
from workflows.wire import partition_for

log = logging.getLogger("streams.worker")

_TOO_LARGE = (MessageSizeTooLargeError, RecordTooLargeError, RecordListTooLargeError)


def now_ms() -> int:
    return int(time.time() * 1000)


class WorkerRuntime:
    def __init__(self, settings: Settings, ws: WorkerSettings) -> None:
        self.settings = settings
        self.ws = ws
        self.metrics = Metrics()
        self.feed = DefinitionFeed()
        self.sink = KafkaSink(settings.kafka_bootstrap_servers, client_id=f"{settings.worker_id}-sink")
        self.executor = ActionExecutor(
            ws, emit=self.emit_events, metrics=self.metrics, on_free=self._want_sweep
        )
        self._sweep_wanted = True
        self._swept_at = 0.0
        self._swept_owned: set[int] = set()
        self.app: Any = None
        self.store: PartitionStore | None = None
        self.changelog_topic = ""
        self.processor: Processor | None = None
        self.pump: TimerPump | None = None
        self.reader: EventReader | None = None
        self._start_lock = asyncio.Lock()
        self._store_lock = asyncio.Lock()  # one writer of the stores at a time: a unit or a pump tick

    # -- lifecycle -----------------------------------------------------------------------------------------
    def bind(self, app: Any, store: PartitionStore, changelog_topic: str) -> None:
        self.app, self.store, self.changelog_topic = app, store, changelog_topic
        self.pump = TimerPump(
            store,
            self.feed,
            events_topic=self.settings.events_topic,
            refire_s=self.ws.timer_refire_s,
            fire_limit=self.ws.timer_fire_limit,
            per_record=self.ws.timer_envelopes_per_record,
        )

    async def start(self) -> None:
        """Idempotent; the timers and the startup task all call it before their first use."""
        async with self._start_lock:
            if self.processor is None:
                await self._start()

    async def _start(self) -> None:
        await self.sink.start()
        assert self.store is not None
        s = self.settings
        self.processor = Processor(
            self.store,
            self.feed.index,
            source_topic=s.events_topic,
            out_topic=s.out_topic,
            dlq_topic=s.events_dlq_topic,
            partitions=await self.sink.partition_count(s.events_topic),
            out_partitions=await self.sink.partition_count(s.out_topic),
            stale_overdue_ms=self.ws.stale_overdue_ms,
            max_record_bytes=self.ws.worker_max_record_bytes,
        )
        await self.executor.start()
        self.reader = EventReader(
            s.kafka_bootstrap_servers,
            s.events_topic,
            s.definitions_topic,
            client_id=f"{s.worker_id}-events",
            on_definition=self.on_definition,
            owned=self.owned_partitions,
            position=self.position,
            process=self.process,
            max_records=self.ws.worker_batch_records,
            max_wait_ms=self.ws.worker_fetch_wait_ms,
            lock=self._store_lock,
        )
        await self.reader.start()

    async def stop(self) -> None:
        if self.reader is not None:
            await self.reader.stop()
        await self.executor.stop()
        await self.sink.stop()

    # -- definitions ---------------------------------------------------------------------------------------
    def on_definition(self, key: bytes | None, value: bytes | None, offset: int) -> None:
        self.feed.apply(key, value)
        self.metrics.definitions.set(len(self.feed.index))
        # The definitions topic has one partition: its end offset says whether this worker is up to date.
        self.metrics.definitions_position.set(offset + 1)

    # -- the contact path ---------------------------------------------------------------------------------
    def position(self, partition: int) -> int | None:
        """Offset of the last ``workflows.events`` record of this partition whose effects are durable."""
        assert self.store is not None
        stored = self.store.get(partition, POSITION_KEY)
        return int(stored) if stored is not None else None

    async def on_partitions_revoked(self) -> None:
        if self.reader is not None:
            await self.reader.hold()

    async def process(self, records: list[InRecord]) -> UnitResult:
        assert self.processor is not None
        assert self.store is not None
        started = time.perf_counter()
        now = now_ms()
        result = self.processor.process(records, now)
        last: dict[int, int] = {}
        for r in records:
            last[r.partition] = max(r.offset, last.get(r.partition, -1))
        for partition, offset in last.items():
            result.state_changes.setdefault(partition, {})[POSITION_KEY] = str(offset).encode()
        await self._send(result.outputs)
        await self._persist({p: result.changes(p) for p in result.partitions()})
        for action in result.actions:
            if not self.executor.offer(action):
                self._sweep_wanted = True  # it stays pending in the store
        self._observe(result, records, now, started)
        return result

    async def _persist(self, changes: dict[int, dict[bytes, bytes | None]]) -> None:
        """Changelog first, then the local write batch: the local store is never ahead of Kafka."""
        assert self.store is not None
        if not changes:
            return
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
        for partition, items in changes.items():
            self.store.write(partition, items, offsets.get((topic, partition)))

    async def _send(self, records: list[OutRecord]) -> dict[tuple[str, int], int]:
        """Deliver; a record refused as too large is dead-lettered (reason and headers, no value)."""
        offsets, refused = await self._deliver(records)
        if refused:
            dlq = self.settings.events_dlq_topic
            for record in refused:
                log.error(
                    "record refused as too large, dead-lettered",
                    extra={"topic": record.topic, "bytes": len(record.value or b"")},
                )
            notes = [
                OutRecord(
                    dlq,
                    0,
                    r.key,
                    None,
                    [
                        *r.headers,
                        (
                            DLQ_REASON_HEADER,
                            f"{r.topic}: record of {len(r.value or b'')} bytes refused "
                            "by Kafka as too large".encode(),
                        ),
                    ],
                )
                for r in refused
                if r.topic != dlq
            ]
            self.metrics.dead.inc(len(refused))
            if notes:
                await self._deliver(notes)
        return offsets

    async def _deliver(self, records: list[OutRecord]) -> tuple[dict[tuple[str, int], int], list[OutRecord]]:
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

    def _observe(self, result: UnitResult, records: list[InRecord], now: int, started: float) -> None:
        m = self.metrics
        m.records.inc(len(records))
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
        if run_log.isEnabledFor(logging.INFO):
            for record in result.outputs:
                if record.topic == self.settings.out_topic:
                    log_effect(record)

    # -- producing events (executor results, pump, detector) -----------------------------------------------
    async def emit_events(self, envelopes: list[dict[str, Any]]) -> None:
        assert self.processor is not None
        by_partition: dict[int, list[dict[str, Any]]] = {}
        for envelope in envelopes:
            p = partition_for(str(envelope["contactId"]), self.processor.partitions)
            by_partition.setdefault(p, []).append(envelope)
        await self._send(
            [
                r
                for p, items in by_partition.items()
                for r in pack(self.settings.events_topic, p, items, self.ws.timer_envelopes_per_record)
            ]
        )

    def owned_partitions(self) -> set[int]:
        """Partitions this worker processes now: its active ``contacts`` partitions, recovered and open
        (none while rebalancing or recovering)."""
        app = self.app
        if app is None or self.store is None or app.rebalancing or getattr(app, "in_recovery", False):
            return set()
        topic = self.changelog_topic
        actives = {tp.partition for tp in app.assignor.assigned_actives() if tp.topic == topic}
        return actives & self.store.open_partitions()

    async def pump_tick(self) -> None:
        await self.start()
        if self.pump is None:
            return
        async with self._store_lock:  # a revocation waits for this tick too
            owned = self.owned_partitions()
            result = self.pump.tick(owned, now=now_ms(), mono=time.monotonic())
            await self._send(result.records)
            if result.schedule_changes:
                await self._persist(result.schedule_changes)
            self._sweep(owned)
        m = self.metrics
        m.timers_fired.inc(result.fired)
        m.timers_due.set(result.due)
        m.timers_overdue.set(result.max_overdue_ms / 1000)

    def _want_sweep(self) -> None:
        self._sweep_wanted = True

    def _sweep(self, owned: set[int]) -> None:
        """Offer the pending actions of the owned partitions that are neither in flight nor recently done."""
        mono = time.monotonic()
        if not (
            self._sweep_wanted
            or owned != self._swept_owned
            or mono - self._swept_at >= self.ws.executor_sweep_s
        ):
            return
        assert self.store is not None
        executor = self.executor
        self._sweep_wanted = False  # a slot freed during the scan asks again
        self._swept_owned, self._swept_at = set(owned), mono
        executor.forget_done(mono)
        pending = 0
        for key, value in pending_actions(self.store, owned):
            pending += 1
            if executor.in_flight(key) or executor.recently_done(key, mono) or not executor.has_room():
                continue  # a full executor still counts what is pending
            try:
                effect = decode_action(value)
            except (ValueError, KeyError, TypeError) as exc:
                log.error("undecodable pending action skipped", extra={"error": repr(exc)[:300]})
                continue
            executor.offer(effect)  # its tenant may be full: offered again when one of its calls ends
        self.metrics.actions_pending.set(pending)

    async def stale_scan(self) -> None:
        await self.start()
        if self.store is None:
            return
        owned = self.owned_partitions()
        scan = await scan_stale(
            self.store,
            owned,
            events_topic=self.settings.events_topic,
            now=now_ms(),
            overdue_ms=self.ws.stale_overdue_ms,
            owned=lambda p: p in self.owned_partitions(),
        )
        await self._send(scan.records)
        m = self.metrics
        m.stale.inc(scan.stale)
        for waiting, count in scan.running.items():
            m.runs_active.labels(waiting).set(count)
        m.timers_pending.set(scan.timers)
        if scan.stale:
            log.warning("stale runs reported", extra={"count": scan.stale})

    def update_lag(self) -> None:
        if self.reader is None:
            return
        gauge = self.metrics.lag
        # Owned partitions only: their stores are open (never reopen a revoked one to read a position).
        for partition, (position, highwater) in self.reader.positions(self.owned_partitions()).items():
            if highwater is not None:
                gauge.labels(str(partition)).set(max(0, highwater - position))
