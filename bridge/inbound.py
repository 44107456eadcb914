"""Inbound direction: JetStream pull consumer -> ``workflows.events``.

One fetch becomes one pipeline entry: its valid events are packed per target partition (``bridge.envelope``),
handed to an idempotent acks=all producer, and the NATS messages are acknowledged only once every record of
the entry is acknowledged by Kafka. Entries settle strictly in fetch order. At most ``max_in_flight_batches``
entries wait at once, which bounds memory and is the backpressure on NATS.

On any failure the unsettled messages are nak'ed (JetStream redelivers them first, in sequence order), the
producer is rebuilt, and the session resumes after a backoff. What Kafka already stored is re-sent then;
the engine's event-id dedupe absorbs those duplicates.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter, deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext

from bridge.config import BridgeSettings
from bridge.envelope import Accepted, admit, pack, partitioner
from bridge.errors import BridgeConfigError
from bridge.jetstream import dead_letter
from bridge.observability import Backoff, EventTypeTally, Metrics, Supervised
from workflows import topics
from workflows.settings import Settings
from workflows.subjects import inbound_subjects

log = logging.getLogger("bridge.inbound")


@dataclass(slots=True)
class _Entry:
    msgs: list[Msg]
    futures: list[asyncio.Future[Any]]
    started: float
    events: int
    records: int
    types: Counter[tuple[str, str]]  # (tenantId, type) -> events, for the observations

    def done(self) -> bool:
        return all(f.done() for f in self.futures)


async def ensure_topics(settings: Settings, bridge: BridgeSettings | None = None) -> None:
    """Create workflows.events (with the partition count every process computes partitions for) and the
    observations topic (one partition, deleted after its retention) if missing."""
    specs = [topics.events_topic(settings), topics.observations_topic(settings)]
    await topics.ensure_topics(settings, specs, client_id="workflows-bridge")


ensure_events_topic = ensure_topics  # the name benchmarks use


class InboundMirror(Supervised):
    name = "inbound"

    def __init__(
        self,
        settings: Settings,
        bridge: BridgeSettings,
        *,
        js: JetStreamContext,
        stream: str,
        metrics: Metrics,
        tally: EventTypeTally | None = None,
    ) -> None:
        self._settings, self._bridge, self._js, self._stream, self._metrics = (
            settings,
            bridge,
            js,
            stream,
            metrics,
        )
        self._partition_of = partitioner(settings.events_partitions)
        self._subjects = inbound_subjects(settings)
        self.tally = tally or EventTypeTally()
        self.status = "starting"

    async def _session(self, stop: asyncio.Event, backoff: Backoff) -> None:
        s, b = self._settings, self._bridge
        producer = AIOKafkaProducer(
            bootstrap_servers=s.kafka_bootstrap_servers,
            client_id="workflows-bridge",
            acks="all",
            enable_idempotence=True,
            linger_ms=2,  # a fetch is sent in one go; a short linger only merges records of adjacent fetches
            max_batch_size=1024 * 1024,
            max_request_size=1024 * 1024,
        )
        await producer.start()
        inflight: deque[_Entry] = deque()
        sub: JetStreamContext.PullSubscription | None = None
        try:
            partitions = await producer.partitions_for(s.events_topic)
            if len(partitions) != s.events_partitions:
                raise BridgeConfigError(
                    f"{s.events_topic} has {len(partitions)} partitions but WORKFLOWS_EVENTS_PARTITIONS="
                    f"{s.events_partitions}: events would reach the wrong worker partition. Set the setting "
                    "to the topic's partition count (or recreate the topic) and restart."
                )
            if b.wait_for_redelivery:
                await self._await_redelivery(stop)
            sub = await self._js.pull_subscribe_bind(durable=b.inbound_durable, stream=self._stream)
            self.status = "running"
            log.info("inbound running", extra={"stream": self._stream, "topic": s.events_topic})
            while not stop.is_set():
                try:
                    msgs = await sub.fetch(b.fetch_batch, timeout=b.fetch_timeout_s)
                except (TimeoutError, NatsTimeoutError):
                    msgs = []
                if msgs:
                    inflight.append(await self._dispatch(msgs, producer))
                # Settle in order: when the pipeline is full, when caught up (an idle bridge acks at once),
                # and whatever Kafka already acknowledged.
                while inflight and (
                    len(inflight) >= b.max_in_flight_batches
                    or len(msgs) < b.fetch_batch
                    or inflight[0].done()
                ):
                    await self._settle(inflight)
                    backoff.reset()
            while inflight:  # graceful stop: drain what was fetched
                await self._settle(inflight)
        except BaseException:
            await self._nak(inflight)
            raise
        finally:
            if sub is not None:
                with contextlib.suppress(Exception):
                    await sub.unsubscribe()
            await producer.stop()

    async def _await_redelivery(self, stop: asyncio.Event) -> None:
        """Messages a killed bridge fetched but never acknowledged return after ack_wait; fetching new ones
        before that would put later events of a contact ahead of earlier ones."""
        info = await self._js.consumer_info(self._stream, self._bridge.inbound_durable)
        last = info.delivered.last_active
        if not info.num_ack_pending or last is None:
            return
        if last.tzinfo is None:
            last = last.replace(tzinfo=UTC)
        ack_wait = info.config.ack_wait or self._bridge.ack_wait_s
        remaining = ack_wait - (datetime.now(UTC) - last).total_seconds() + 0.5
        if remaining > 0:
            self.status = f"waiting {remaining:.1f}s for {info.num_ack_pending} unacknowledged messages"
            log.info(
                "waiting for redelivery of unacknowledged messages", extra={"seconds": round(remaining, 1)}
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), remaining)

    async def _dispatch(self, msgs: list[Msg], producer: AIOKafkaProducer) -> _Entry:
        started = time.perf_counter()
        b = self._bridge
        accepted: list[Accepted] = []
        types: Counter[tuple[str, str]] = Counter()
        for msg in msgs:
            verdict = admit(
                msg.data,
                subject=b.event_type(msg.subject),
                max_bytes=b.max_body_bytes,
                subjects=self._subjects,
            )
            if isinstance(verdict, Accepted):
                accepted.append(verdict)
                types[(verdict.tenant_id, verdict.event_type)] += 1
                continue
            seq = msg.metadata.sequence.stream
            await dead_letter(
                self._js,
                self._settings.nats_dlq_subject,
                msg.data,
                reason=verdict.reason,
                original_subject=msg.subject,
                source_id=f"{self._stream}:{seq}",
                publish_timeout=b.publish_timeout_s,
            )
            self._metrics.dead_lettered.labels(self.name).inc()
            log.warning("dead-lettered", extra={"subject": msg.subject, "seq": seq, "reason": verdict.reason})
        records = pack(accepted, partition_of=self._partition_of, max_record_bytes=b.max_record_bytes)
        futures = [
            await producer.send(self._settings.events_topic, r.value, key=r.key, partition=r.partition)
            for r in records
        ]
        return _Entry(msgs, futures, started, len(accepted), len(records), types)

    async def _settle(self, inflight: deque[_Entry]) -> None:
        entry = inflight[0]
        pending = [f for f in entry.futures if not f.done()]
        # Keep JetStream from redelivering while Kafka is slow: progress acks restart the ack_wait clock.
        interval = self._bridge.ack_wait_s / 3
        while pending:
            _, still = await asyncio.wait(pending, timeout=interval)
            pending = list(still)
            if pending:
                for waiting in inflight:
                    for msg in waiting.msgs:
                        await msg.in_progress()
        for future in entry.futures:
            future.result()  # a failed record raises here and the whole pipeline is nak'ed
        for msg in entry.msgs:
            await msg.ack()
        inflight.popleft()
        self.tally.add(entry.types)
        self._metrics.messages_in.inc(entry.events)
        self._metrics.records_in.inc(entry.records)
        self._metrics.batch_seconds.labels(self.name).observe(time.perf_counter() - entry.started)

    async def _nak(self, inflight: deque[_Entry]) -> None:
        for entry in inflight:
            for msg in entry.msgs:
                with contextlib.suppress(Exception):  # unreachable NATS: ack_wait redelivers instead
                    await msg.nak()
        inflight.clear()
