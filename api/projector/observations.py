"""Reads ``workflows.observations`` (event types the bridge admitted, per tenant) into ``event_type_stats``.

Observation counts are deltas, so each record must be added exactly once. The reader keeps its position in
PostgreSQL (``projector_offsets``), locked and moved in the transaction that adds the counts: a record applied
again after a crash, or by a second API process, is skipped by offset. No Kafka consumer group is used.
A record or item that breaks the format or the identifier rules is skipped and counted, never retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from datetime import datetime

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api import metrics
from api.db.models import EventTypeStats
from workflows.identifiers import event_type_problem, tenant_id_problem
from workflows.settings import Settings
from workflows.wire import ObservationsDecodeError, decode_observations

log = logging.getLogger(__name__)
Key = tuple[str, str]


def tally(records: Iterable[ConsumerRecord[bytes, bytes]]) -> dict[Key, tuple[int, datetime]]:
    """(tenant, type) -> (events admitted, last seen) over the records; bad records and items are skipped."""
    out: dict[Key, tuple[int, datetime]] = {}
    for record in records:
        try:
            observed = decode_observations(record.value or b"")
        except ObservationsDecodeError as exc:
            metrics.PROJECTED.labels("observation_skipped").inc()
            log.warning("observations record %d skipped: %s", record.offset, str(exc)[:200])
            continue
        for item in observed.items:
            if tenant_id_problem(item.tenant_id) or event_type_problem(item.event_type):
                metrics.PROJECTED.labels("observation_skipped").inc()
                continue
            key = (item.tenant_id, item.event_type)
            count, last = out.get(key, (0, item.last_seen_at))
            out[key] = (count + item.count, max(last, item.last_seen_at))
    return out


async def _next_offset(conn: AsyncConnection, topic: str, partition: int) -> int:
    await conn.execute(
        text(
            "INSERT INTO projector_offsets (topic, partition, next_offset) VALUES (:t, :p, 0) "
            "ON CONFLICT DO NOTHING"
        ),
        {"t": topic, "p": partition},
    )
    row = await conn.execute(
        text("SELECT next_offset FROM projector_offsets WHERE topic = :t AND partition = :p FOR UPDATE"),
        {"t": topic, "p": partition},
    )
    return int(row.scalar_one())


async def _add(conn: AsyncConnection, counts: dict[Key, tuple[int, datetime]]) -> None:
    if not counts:
        return
    rows = [
        {"tenant_id": tenant, "type": kind, "count": count, "last_seen_at": last}
        for (tenant, kind), (count, last) in sorted(counts.items())  # a fixed order: no deadlocks
    ]
    stmt = insert(EventTypeStats).values(rows)
    table = EventTypeStats.__table__
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["tenant_id", "type"],
            set_={
                "count": table.c.count + stmt.excluded.count,
                "last_seen_at": text("GREATEST(event_type_stats.last_seen_at, excluded.last_seen_at)"),
            },
        )
    )


async def apply_observations(
    engine: AsyncEngine, topic: str, partition: int, records: list[ConsumerRecord[bytes, bytes]]
) -> int:
    """Add the records at or after the stored position and move it past them; returns the next offset."""
    async with engine.begin() as conn:
        start = await _next_offset(conn, topic, partition)
        fresh = [r for r in records if r.offset >= start]
        if not fresh:
            return start
        await _add(conn, tally(fresh))
        after: int = fresh[-1].offset + 1
        await conn.execute(
            text("UPDATE projector_offsets SET next_offset = :o WHERE topic = :t AND partition = :p"),
            {"o": after, "t": topic, "p": partition},
        )
    metrics.PROJECTED.labels("observations").inc(len(fresh))
    return after


class ObservationsReader:
    def __init__(self, settings: Settings, *, engine: AsyncEngine) -> None:
        self._settings = settings
        self._engine = engine
        self._consumer: AIOKafkaConsumer | None = None
        self._positioned: set[TopicPartition] = set()

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self._settings.kafka_bootstrap_servers,
            group_id=None,  # every reader gets every partition; PostgreSQL says where each one stands
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await self._consumer.start()
        # Subscribed rather than assigned: the bridge may create the topic after the API started.
        self._consumer.subscribe([self._settings.observations_topic])

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None
            self._positioned.clear()

    async def _stored(self, tp: TopicPartition) -> int:
        async with self._engine.begin() as conn:
            return await _next_offset(conn, tp.topic, tp.partition)

    async def step(self, *, timeout_ms: int = 500) -> int:
        """Fetch and apply one batch; returns the records applied (records before the stored position of
        a partition seen for the first time are skipped, and the partition jumps to that position)."""
        consumer = self._consumer
        if consumer is None:
            raise RuntimeError("ObservationsReader.start() was not called")
        batches = await consumer.getmany(timeout_ms=timeout_ms, max_records=1000)
        applied = 0
        for tp, records in batches.items():
            if tp not in self._positioned:
                stored = await self._stored(tp)
                self._positioned.add(tp)
                if records[-1].offset + 1 < stored:
                    consumer.seek(tp, stored)
                    continue
            try:
                await apply_observations(self._engine, tp.topic, tp.partition, records)
            except Exception:
                consumer.seek(tp, records[0].offset)  # fetched again; the stored position skips what went in
                raise
            applied += len(records)
        return applied

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.step()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("event-type observations not applied; retrying in 2 s from the stored position")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=2.0)
