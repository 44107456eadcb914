"""The worker's parts put together on a ``Host``: reader, commit unit, timer pump, executor, stale scan.

Data flows one way: the reader hands each unit of records to the commit unit (``streams.commit``), which
runs it through the processor and the engine and makes the result durable. The timer pump persists through
the same commit unit; the executor's results and the detector's reports go back into ``workflows.events``
as records like any other. Nothing here imports Faust: the host (``streams.app``) gives the owned
partitions, the stores and the revocation hook.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from streams.actions import HttpAction, decode_action, pending_actions
from streams.commit import CommitUnit, now_ms
from streams.definitions import DefinitionFeed
from streams.executor import ActionExecutor
from streams.host import Host
from streams.metrics import Metrics
from streams.processor import Processor
from streams.reader import EventReader
from streams.runlog import RunLog
from streams.sink import KafkaSink, Sink
from streams.stale import scan_stale
from streams.timers import TimerPump, pack
from streams.worker_settings import WorkerSettings
from workflows.settings import Settings
from workflows.wire import partition_for

log = logging.getLogger("streams.worker")


class WorkerRuntime:
    def __init__(
        self, settings: Settings, ws: WorkerSettings, host: Host, *, sink: Sink | None = None
    ) -> None:
        self.settings = settings
        self.ws = ws
        self.host = host
        self.metrics = Metrics()
        self.feed = DefinitionFeed()
        self.sink: Sink = sink or KafkaSink(
            settings.kafka_bootstrap_servers, client_id=f"{settings.worker_id}-sink"
        )
        self.executor = ActionExecutor(
            ws, emit=self.emit_events, metrics=self.metrics, on_free=self._want_sweep
        )
        self.pump = TimerPump(
            host.store,
            self.feed,
            events_topic=settings.events_topic,
            refire_s=ws.timer_refire_s,
            fire_limit=ws.timer_fire_limit,
            per_record=ws.timer_envelopes_per_record,
        )
        self.commit: CommitUnit | None = None
        self.reader: EventReader | None = None
        self._partitions = 0
        self._sweep_wanted = True
        self._swept_at = 0.0
        self._swept_owned: set[int] = set()
        self._start_lock = asyncio.Lock()
        host.on_revoked(self.on_partitions_revoked)
        # Read at each scrape: none while a rebalance or a recovery is in progress.
        self.metrics.partitions.set_function(lambda: len(host.owned_partitions()))

    # -- lifecycle -----------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Idempotent; the timers and the startup task all call it before their first use."""
        async with self._start_lock:
            if self.commit is None:
                await self._start()

    async def _start(self) -> None:
        s, ws = self.settings, self.ws
        start = getattr(self.sink, "start", None)
        if start is not None:
            await start()
        self._partitions = await self.sink.partition_count(s.events_topic)
        processor = Processor(
            self.host.store,
            self.feed.index,
            source_topic=s.events_topic,
            out_topic=s.out_topic,
            dlq_topic=s.events_dlq_topic,
            partitions=self._partitions,
            out_partitions=await self.sink.partition_count(s.out_topic),
            max_record_bytes=ws.worker_max_record_bytes,
        )
        self.commit = CommitUnit(
            self.sink,
            self.host.store,
            processor,
            changelog_topic=self.host.changelog_topic,
            metrics=self.metrics,
            offer=self._offer,
            run_log=RunLog(),
        )
        await self.executor.start()
        self.reader = EventReader(
            s.kafka_bootstrap_servers,
            s.events_topic,
            s.definitions_topic,
            client_id=f"{s.worker_id}-events",
            host=self.host,
            commit=self.commit,
            feed=self.feed,
            metrics=self.metrics,
            max_records=ws.worker_batch_records,
            max_wait_ms=ws.worker_fetch_wait_ms,
        )
        await self.reader.start()

    async def stop(self) -> None:
        if self.reader is not None:
            await self.reader.stop()
        await self.executor.stop()
        stop = getattr(self.sink, "stop", None)
        if stop is not None:
            await stop()

    async def on_partitions_revoked(self) -> None:
        if self.reader is not None:
            await self.reader.hold()

    # -- producing events (executor results, pump, detector) -----------------------------------------------
    async def emit_events(self, envelopes: list[dict[str, Any]]) -> None:
        assert self.commit is not None
        by_partition: dict[int, list[dict[str, Any]]] = {}
        for envelope in envelopes:
            p = partition_for(str(envelope["contactId"]), self._partitions)
            by_partition.setdefault(p, []).append(envelope)
        await self.commit.send(
            [
                r
                for p, items in by_partition.items()
                for r in pack(self.settings.events_topic, p, items, self.ws.timer_envelopes_per_record)
            ]
        )

    async def pump_tick(self) -> None:
        await self.start()
        commit = self.commit
        assert commit is not None
        async with commit.lock:  # a revocation waits for this tick too
            owned = self.host.owned_partitions()
            result = self.pump.tick(owned, now=now_ms(), mono=time.monotonic())
            await commit.commit(result.records, result.schedule_changes)
            self._sweep(owned)
        m = self.metrics
        m.timers_fired.inc(result.fired)
        m.timers_due.set(result.due)
        m.timers_overdue.set(result.max_overdue_ms / 1000)

    def _want_sweep(self) -> None:
        self._sweep_wanted = True

    def _offer(self, action: HttpAction) -> bool:
        if self.executor.offer(action):
            return True
        self._sweep_wanted = True  # it stays pending in the store: the sweep offers it again
        return False

    def _sweep(self, owned: set[int]) -> None:
        """Offer the pending actions of the owned partitions that are neither in flight nor recently done."""
        mono = time.monotonic()
        if not (
            self._sweep_wanted
            or owned != self._swept_owned
            or mono - self._swept_at >= self.ws.executor_sweep_s
        ):
            return
        executor = self.executor
        self._sweep_wanted = False  # a slot freed during the scan asks again
        self._swept_owned, self._swept_at = set(owned), mono
        executor.forget_done(mono)
        pending = 0
        for key, value in pending_actions(self.host.store, owned):
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
        assert self.commit is not None
        host = self.host
        scan = await scan_stale(
            host.store,
            host.owned_partitions(),
            events_topic=self.settings.events_topic,
            now=now_ms(),
            overdue_ms=self.ws.stale_overdue_ms,
            owned=lambda p: p in host.owned_partitions(),
        )
        await self.commit.send(scan.records)
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
        for partition, (position, highwater) in self.reader.positions(self.host.owned_partitions()).items():
            if highwater is not None:
                gauge.labels(str(partition)).set(max(0, highwater - position))
