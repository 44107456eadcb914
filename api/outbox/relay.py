"""The outbox relay: publishes unsent outbox rows to Kafka in id order, then marks them sent.

Delivery is at-least-once. Rows are marked only after Kafka acknowledged every record of the batch
(acks=all), in the same transaction that holds the relay lock; a crash after publishing and before the mark
commits leaves the rows unsent, so the next relay publishes them again. On the compacted definitions topic a
re-sent record carries the same key and the same bytes as the first (versions are immutable, a pointer
re-send is followed by any newer pointer in id order), so a consumer that keeps the latest value per key
ends with exactly one definition per version. Run as a background task of the API or standalone:
``python -m api.outbox.relay``.

A record the broker refuses as too large (checked before sending against ``outbox_max_record_bytes``, or
refused with ``MessageSizeTooLargeError``) would fail the same way on every retry and, since rows leave in
id order, hold back every later row of every tenant. Such a row is marked failed with its reason (counted in
``workflows_outbox_failed_total``, listed to its tenant by ``GET /api/v1/outbox/failed``) and the rows after
it proceed. Sent and failed rows are purged after ``outbox_retention_s``, a small batch at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.errors import MessageSizeTooLargeError
from sqlalchemy.ext.asyncio import AsyncEngine

from api import metrics
from api.config import ApiSettings
from api.outbox import repository
from workflows import topics
from workflows.settings import Settings

log = logging.getLogger(__name__)

# The producer's own request limit stays above the relay's check (record overhead, headers), so the
# relay's check is the one that decides; a broker with a lower limit still answers MessageSizeTooLarge.
_PRODUCER_SLACK_BYTES = 64 * 1024
_ERROR_CHARS = 1000


async def ensure_topics(settings: Settings) -> None:
    """Create the topics the relay writes to when missing (``workflows.topics``): definitions compacted
    with one partition (one total order of versions and pointers), events with the configured partitions."""
    specs = [topics.definitions_topic(settings), topics.events_topic(settings)]
    await topics.ensure_topics(settings, specs, client_id="workflows-outbox-relay")


class OutboxRelay:
    def __init__(
        self,
        settings: Settings,
        options: ApiSettings,
        *,
        engine: AsyncEngine,
        wakeup: asyncio.Event | None = None,
        after_publish: Callable[[list[int]], None] | None = None,
    ) -> None:
        self._settings = settings
        self._options = options
        self._engine = engine
        self._wakeup = wakeup or asyncio.Event()
        # Fault injection for the crash test: called after Kafka acknowledged a batch, before the mark.
        self._after_publish = after_publish
        self._producer: AIOKafkaProducer | None = None
        self._next_purge = 0.0

    async def start(self) -> None:
        await ensure_topics(self._settings)
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self._settings.kafka_bootstrap_servers,
            acks="all",
            enable_idempotence=True,  # no duplicates from the producer's own retries
            linger_ms=5,
            max_request_size=max(1024 * 1024, self._options.outbox_max_record_bytes + _PRODUCER_SLACK_BYTES),
        )
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def publish_once(self) -> int:
        """Publish one batch; returns the rows done with, sent or marked failed (0 when idle or when another
        relay holds the lock)."""
        producer = self._producer
        if producer is None:
            raise RuntimeError("OutboxRelay.start() was not called")
        async with self._engine.connect() as conn, conn.begin():
            if not await repository.try_lock(conn):
                return 0
            rows = await repository.unsent(conn, limit=self._options.outbox_batch_size)
            if not rows:
                return 0
            failed = await self._publish(producer, rows)
            ids = [r.id for r in rows if r.id not in failed]
            if self._after_publish is not None:
                self._after_publish(ids)
            await repository.mark_sent(conn, ids)
            await repository.mark_failed(conn, failed)
        for row_id, reason in failed.items():
            log.error("outbox row %d marked failed, never retried: %s", row_id, reason)
        metrics.OUTBOX_PUBLISHED.inc(len(ids))
        if failed:
            metrics.OUTBOX_FAILED.labels("too_large").inc(len(failed))
        return len(rows)

    async def _publish(
        self, producer: AIOKafkaProducer, rows: Sequence[repository.OutboxRow]
    ) -> dict[int, str]:
        """Send every row; returns {row id: reason} of the rows the broker refuses as too large. Any other
        error raises: nothing of the batch is marked and the next attempt sends it again."""
        limit = self._options.outbox_max_record_bytes
        failed: dict[int, str] = {}
        sent: list[tuple[repository.OutboxRow, asyncio.Future[object]]] = []
        for row in rows:
            size = len(row.key or b"") + len(row.value or b"")
            if size > limit:
                failed[row.id] = (
                    f"record too large: {size} bytes (key + value) > {limit} "
                    "(WORKFLOWS_OUTBOX_MAX_RECORD_BYTES); the broker would refuse it"
                )
                continue
            try:
                sent.append((row, await producer.send(row.topic, value=row.value, key=row.key)))
            except MessageSizeTooLargeError as exc:
                failed[row.id] = _reason(exc)
        # Every record acknowledged before any row is marked.
        results = await asyncio.gather(*(f for _, f in sent), return_exceptions=True)
        refused = [
            row
            for (row, _), res in zip(sent, results, strict=True)
            if isinstance(res, MessageSizeTooLargeError)
        ]
        for res in results:
            if isinstance(res, BaseException) and not isinstance(res, MessageSizeTooLargeError):
                raise res
        # The broker refuses a whole producer batch, which may hold small records beside the large one:
        # send each refused row alone to learn which one is really too large.
        for row in refused:
            try:
                await (await producer.send(row.topic, value=row.value, key=row.key))
            except MessageSizeTooLargeError as exc:
                failed[row.id] = _reason(exc)
        return failed

    async def purge_once(self) -> int:
        """Delete one small batch of rows past the retention; returns the rows deleted."""
        async with self._engine.begin() as conn:
            return await repository.purge(
                conn,
                older_than_seconds=self._options.outbox_retention_s,
                limit=self._options.outbox_purge_batch,
            )

    async def _maybe_purge(self) -> None:
        now = time.monotonic()
        if now < self._next_purge:
            return
        self._next_purge = now + self._options.outbox_purge_interval_s
        purged = await self.purge_once()
        if purged:
            log.info("outbox: purged %d rows older than %.0f s", purged, self._options.outbox_retention_s)
            if purged >= self._options.outbox_purge_batch:
                self._next_purge = now  # more are due: another small batch on the next idle turn

    async def drain(self) -> int:
        total = 0
        while sent := await self.publish_once():
            total += sent
        return total

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                sent = await self.publish_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay failed; retrying in 2 s (rows stay unsent, nothing is lost)")
                await _sleep_or_stop(stop, 2.0)
                continue
            if sent:
                continue
            try:
                await self._maybe_purge()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox purge failed; trying again later")
            self._wakeup.clear()
            await _wait_any(stop, self._wakeup, seconds=self._options.outbox_poll_seconds)


def _reason(exc: MessageSizeTooLargeError) -> str:
    return f"the broker refused the record as too large: {exc}"[:_ERROR_CHARS]


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def _wait_any(stop: asyncio.Event, wakeup: asyncio.Event, *, seconds: float) -> None:
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wakeup.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()


async def _main() -> None:
    from api.db.engine import create_engine
    from workflows.logs import configure_logging

    settings = Settings()
    configure_logging(settings.log_level)
    engine = create_engine(settings)
    relay = OutboxRelay(settings, ApiSettings(), engine=engine)
    await relay.start()
    try:
        await relay.run(asyncio.Event())
    finally:
        await relay.stop()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(_main())
