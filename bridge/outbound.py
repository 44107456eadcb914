"""Outbound direction: ``workflows.out`` -> JetStream.

Each output of a record (the items of a pack, or a single output: ``workflows.wire.out_items``) is
published in the platform envelope (``bridge.platform``) to the subject it names with ``Nats-Msg-Id`` = its
idempotency key, so JetStream drops an output published twice inside the dedupe window (a replay after a
crash, a rebalance). The outputs of one poll are published concurrently, ``outbound_window`` at a time (in
order on the wire), and the Kafka offsets are committed only after JetStream acknowledged every one of
them. Failed publishes are retried with backoff; nothing is skipped except step records still pending or
running (the read model's, committed unpublished) and outputs that cannot be published at all, which are
dead-lettered with the reason (a pack that is not a JSON array, whole)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any, TypeAlias

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError
from aiokafka.structs import OffsetAndMetadata
from nats.js import JetStreamContext
from nats.js.errors import NoStreamResponseError

from bridge.config import BridgeSettings
from bridge.jetstream import dead_letter
from bridge.observability import Backoff, Metrics, Supervised
from bridge.platform import UnpublishableRecordError, to_platform
from workflows.settings import Settings
from workflows.wire import NATS_MSG_ID_HEADER, SUBJECT_HEADER, OutItem, PackError, out_items

log = logging.getLogger("bridge.outbound")

Rec: TypeAlias = ConsumerRecord  # [bytes, bytes]: no deserializers


class _Unpublishable(Exception):  # noqa: N818  # internal signal, never leaves this module
    """The output cannot be published as it is; it goes to the dead-letter subject."""


def _position(record: Rec) -> str:
    return f"{record.topic}:{record.partition}:{record.offset}"


@dataclass(frozen=True, slots=True)
class _Output:
    """One output to publish: its record and its place in it."""

    record: Rec
    item: OutItem

    @property
    def source(self) -> str:
        """Where it came from; also its id when it names no idempotency key (stable across replays)."""
        return _position(self.record) + (f"#{self.item.index}" if self.item.packed else "")


class OutboundMirror(Supervised):
    name = "outbound"

    def __init__(
        self, settings: Settings, bridge: BridgeSettings, *, js: JetStreamContext, metrics: Metrics
    ) -> None:
        self._settings, self._bridge, self._js, self._metrics = settings, bridge, js, metrics
        self.status = "starting"

    async def _session(self, stop: asyncio.Event, backoff: Backoff) -> None:
        s, b = self._settings, self._bridge
        consumer = AIOKafkaConsumer(
            s.out_topic,
            bootstrap_servers=s.kafka_bootstrap_servers,
            client_id="workflows-bridge-out",
            group_id=b.outbound_group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=b.outbound_batch,
        )
        await consumer.start()
        try:
            self.status = "running"
            log.info("outbound running", extra={"topic": s.out_topic, "group": b.outbound_group})
            while not stop.is_set():
                polled = await consumer.getmany(timeout_ms=500, max_records=b.outbound_batch)
                if not polled:
                    continue
                started = time.perf_counter()
                records = [r for batch in polled.values() for r in batch]
                # A stop during the retries leaves the batch uncommitted: the next owner publishes it again.
                if not await self._publish_all(records, stop, backoff):
                    break
                offsets = {tp: OffsetAndMetadata(batch[-1].offset + 1, "") for tp, batch in polled.items()}
                try:
                    await consumer.commit(offsets)
                except CommitFailedError:
                    # Rebalanced meanwhile: the new owner publishes these again; JetStream drops them.
                    log.warning("commit failed after a rebalance", extra={"records": len(records)})
                self._metrics.batch_seconds.labels(self.name).observe(time.perf_counter() - started)
                self._update_lag(consumer, polled)
                backoff.reset()
        finally:
            await consumer.stop()

    async def _publish_all(self, records: list[Rec], stop: asyncio.Event, backoff: Backoff) -> bool:
        outputs: list[_Output] = []
        for record in records:
            try:
                items = out_items(record.value, record.headers)
            except PackError as exc:
                await self._dead_letter(record.value or b"", _position(record), str(exc))
                continue
            outputs.extend(_Output(record, item) for item in items)
        window = self._bridge.outbound_window
        for start in range(0, len(outputs), window):
            if not await self._publish_window(outputs[start : start + window], stop, backoff):
                return False
        return True

    async def _publish_window(self, outputs: list[_Output], stop: asyncio.Event, backoff: Backoff) -> bool:
        pending = outputs
        attempts = 0
        while pending:
            attempts += 1
            results = await asyncio.gather(
                *(self._publish(o, attempts) for o in pending), return_exceptions=True
            )
            failed: list[_Output] = []
            for output, result in zip(pending, results, strict=True):
                if isinstance(result, _Unpublishable):
                    await self._dead_letter(output.item.value, output.source, str(result))
                elif isinstance(result, BaseException):
                    if isinstance(result, asyncio.CancelledError):
                        raise result
                    failed.append(output)
            if failed:
                log.warning(
                    "outbound publish failed; retrying",
                    extra={"failed": len(failed), "attempt": attempts, "error": repr(results[0])},
                )
                await backoff.wait(stop)
                if stop.is_set():
                    return False
            pending = failed
        return True

    async def _publish(self, output: _Output, attempt: int) -> None:
        record, item = output.record, output.item
        subject = item.subject
        if not subject:
            where = "packed output names no" if item.packed else "record has no"
            raise _Unpublishable(f"{where} {SUBJECT_HEADER!r}")
        # Without a key the output's position is still a stable id across replays.
        msg_id = item.idempotency_key or output.source
        produced = record.timestamp if record.timestamp and record.timestamp > 0 else int(time.time() * 1000)
        try:
            body = to_platform(item.value, subject=subject, message_id=msg_id, produced_at_ms=produced)
        except UnpublishableRecordError as exc:
            raise _Unpublishable(str(exc)) from None
        if body is None:
            return  # a pending or running step: the read model's only (its offset is committed as usual)
        try:
            ack = await self._js.publish(
                self._bridge.subject(subject),
                body,
                timeout=self._bridge.publish_timeout_s,
                headers={NATS_MSG_ID_HEADER: msg_id},
            )
        except NoStreamResponseError:
            if attempt >= self._bridge.no_stream_attempts:
                raise _Unpublishable(f"no JetStream stream captures subject {subject!r}") from None
            raise
        if ack.duplicate:
            self._metrics.duplicates_out.inc()
        else:
            self._metrics.messages_out.inc()

    async def _dead_letter(self, value: bytes, source: str, reason: str) -> None:
        await dead_letter(
            self._js,
            self._settings.nats_dlq_subject,
            value,
            reason=reason,
            original_subject=f"kafka:{self._settings.out_topic}",
            source_id=source,
            publish_timeout=self._bridge.publish_timeout_s,
        )
        self._metrics.dead_lettered.labels(self.name).inc()
        log.warning("dead-lettered", extra={"source": source, "reason": reason})

    def _update_lag(self, consumer: AIOKafkaConsumer, polled: dict[TopicPartition, list[Rec]]) -> None:
        lag: Any = 0
        for tp, batch in polled.items():
            high = consumer.highwater(tp)
            if high is not None:
                lag += max(0, high - (batch[-1].offset + 1))
        with contextlib.suppress(Exception):
            self._metrics.lag.labels(self.name).set(lag)
