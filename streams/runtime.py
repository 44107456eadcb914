"""The worker's moving parts on top of Faust: commit units, the timer pump, the stale scan, metrics.

Durability order of a commit unit (records of one fetch from ``workflows.events``, see ``streams.reader``):

1. outputs (``workflows.out``, DLQ) are produced and acknowledged;
2. the changelog records (timer keys first, then states) are produced and acknowledged;
3. the RocksDB write batch of each partition is applied with the changelog offset it reached and the
   partition's position (``P|``, the last record applied);
4. HTTP actions are handed to the executor.

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

import orjson

from streams.definitions import DefinitionFeed
from streams.engine import event_types as et
from streams.executor import ActionExecutor
from streams.keys import POSITION_KEY
from streams.metrics import Metrics
from streams.processor import InRecord, Processor, UnitResult
from streams.reader import EventReader
from streams.sink import KafkaSink, OutRecord
from streams.stale import scan_stale
from streams.store import PartitionStore
from streams.timers import TimerPump, pack
from streams.worker_settings import WorkerSettings
from workflows.settings import Settings
from workflows.wire import partition_for

log = logging.getLogger("streams.worker")
run_log = logging.getLogger("streams.runs")


def now_ms() -> int:
    return int(time.time() * 1000)


class WorkerRuntime:
    def __init__(self, settings: Settings, ws: WorkerSettings) -> None:
        self.settings = settings
        self.ws = ws
        self.metrics = Metrics()
        self.feed = DefinitionFeed()
        self.sink = KafkaSink(settings.kafka_bootstrap_servers, client_id=f"{settings.worker_id}-sink")
        self.executor = ActionExecutor(ws, emit=self.emit_events, metrics=self.metrics)
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
            await self.executor.submit(action)
        self._observe(result, records, now, started)
        return result

    async def _persist(self, changes: dict[int, dict[bytes, bytes | None]]) -> None:
        """Changelog first, then the local write batch: the local store is never ahead of Kafka."""
        assert self.store is not None
        if not changes:
            return
        topic = self.changelog_topic
        offsets = await self._send(
            [OutRecord(topic, p, key, value) for p, items in changes.items() for key, value in items.items()]
        )
        for partition, items in changes.items():
            self.store.write(partition, items, offsets.get((topic, partition)))

    async def _send(self, records: list[OutRecord]) -> dict[tuple[str, int], int]:
        """Deliver or keep trying: the unit must not count as done (or be dropped) before its records are out.

        Re-sending a whole group after a partial failure duplicates some records; their idempotency keys
        (outputs) and last-write-wins keys (changelog) absorb that.
        """
        delay = 0.5
        while True:
            try:
                return await self.sink.send_all(records)
            except asyncio.CancelledError:
                raise
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
                    _log_effect(record)

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
        m = self.metrics
        m.timers_fired.inc(result.fired)
        m.timers_due.set(result.due)
        m.timers_overdue.set(result.max_overdue_ms / 1000)

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


_RUN_TAGS = {
    et.RUN_GOAL_REACHED: "[GOAL]",
    et.NODE_EXECUTED: "[NODE]",
}


def _log_effect(record: OutRecord) -> None:
    """The spec's [RUN]/[NODE]/[GOAL] lines: ids and statuses only (no inputs, outputs or bodies)."""
    subject = next((v.decode() for k, v in record.headers if k == "subject"), "")
    if not subject.startswith("workflow."):
        return
    tag = _RUN_TAGS.get(subject, "[RUN]")
    if tag == "[NODE]" and not run_log.isEnabledFor(logging.DEBUG):
        return  # one line per node at INFO would dominate the worker's CPU at volume
    effect = orjson.loads(record.value or b"{}")
    run = effect.get("run") or {}
    step = effect.get("step") or {}
    extra = {
        "tenantId": effect.get("tenantId"),
        "contactId": effect.get("contactId"),
        "runId": effect.get("runId"),
        "workflowId": run.get("workflowId"),
        "workflowVersion": run.get("workflowVersion"),
        "idempotencyKey": effect.get("idempotencyKey"),
        "triggerEventId": (run.get("triggerEvent") or {}).get("id"),
        "status": step.get("status") or run.get("status"),
    }
    if step:
        extra.update(nodeId=step.get("nodeId"), nodeType=step.get("nodeType"))
    error = step.get("errorMessage") or run.get("errorMessage")
    if error:
        extra["error"] = str(error)[:300]
    level = logging.DEBUG if tag == "[NODE]" else logging.INFO
    run_log.log(level, f"{tag} {subject.removeprefix('workflow.')}", extra=extra)
