"""The outbox relay: publishes unsent outbox rows to Kafka in id order, then marks them sent.

Delivery is at-least-once. Rows are marked only after Kafka acknowledged every record of the batch
(acks=all), in the same transaction that holds the relay lock; a crash after publishing and before the mark
commits leaves the rows unsent, so the next relay publishes them again. On the compacted definitions topic a
re-sent record carries the same key and the same bytes as the first (versions are immutable, a pointer
re-send is followed by any newer pointer in id order), so a consumer that keeps the latest value per key
ends with exactly one definition per version. Run as a background task of the API or standalone:
``python -m api.outbox.relay``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from sqlalchemy.ext.asyncio import AsyncEngine

from api import metrics
from api.config import ApiSettings
from api.outbox import repository
from workflows.settings import Settings

log = logging.getLogger(__name__)


async def ensure_topics(settings: Settings) -> None:
    """Create the topics the relay writes to when missing: definitions compacted with one partition (one
    total order of versions and pointers), events with the configured partition count."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(settings.definitions_topic, 1, 1, topic_configs={"cleanup.policy": "compact"}),
            NewTopic(
                settings.events_topic,
                settings.events_partitions,
                1,
                topic_configs={"retention.ms": str(settings.events_retention_ms)},
            ),
        ]
        missing = [t for t in wanted if t.name not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
    finally:
        await admin.close()


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

    async def start(self) -> None:
        await ensure_topics(self._settings)
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self._settings.kafka_bootstrap_servers,
            acks="all",
            enable_idempotence=True,  # no duplicates from the producer's own retries
            linger_ms=5,
        )
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def publish_once(self) -> int:
        """Publish one batch; returns the rows sent (0 when idle or when another relay holds the lock)."""
        producer = self._producer
        if producer is None:
            raise RuntimeError("OutboxRelay.start() was not called")
        async with self._engine.connect() as conn, conn.begin():
            if not await repository.try_lock(conn):
                return 0
            rows = await repository.unsent(conn, limit=self._options.outbox_batch_size)
            if not rows:
                return 0
            pending = [await producer.send(r.topic, value=r.value, key=r.key) for r in rows]
            await asyncio.gather(*pending)  # every record acknowledged before any row is marked
            ids = [r.id for r in rows]
            if self._after_publish is not None:
                self._after_publish(ids)
            await repository.mark_sent(conn, ids)
        metrics.OUTBOX_PUBLISHED.inc(len(rows))
        return len(rows)

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
            self._wakeup.clear()
            await _wait_any(stop, self._wakeup, seconds=self._options.outbox_poll_seconds)


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
