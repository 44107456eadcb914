"""The projector's Kafka side: consume ``workflows.out`` in batches, apply each batch in one transaction,
then commit the offsets. A crash between the two re-applies the batch, which changes nothing (see plan.py).
Runs as a background task of the API or standalone: ``python -m api.projector.consumer``.

One record never stops the read side: a record that cannot be decoded or breaks the identifier rules, and
one PostgreSQL refuses on its own (a data or constraint error while the records around it go in), is stored
in ``projector_dead_letters`` with its reason and counted (``workflows_projector_dead_letters_total``), and
the next records proceed. When a batch fails with such an error its records are applied one at a time to
find the culprit. Errors of the database itself (connection lost, shutting down, a deadlock) are not the
record's fault: the batch is fetched again after 2 s, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TypeAlias

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from api import metrics
from api.config import ApiSettings
from api.projector.deadletters import DeadLetter, Output, record_problem, store_dead_letters
from api.projector.events import UndecodableError, decode
from api.projector.observations import ObservationsReader
from api.projector.service import Projected, apply_batch
from workflows.settings import Settings
from workflows.wire import PackError, out_items

log = logging.getLogger(__name__)
Record: TypeAlias = ConsumerRecord[bytes, bytes]


def decode_records(records: list[Record]) -> tuple[list[tuple[Output, Projected]], list[DeadLetter]]:
    """What the outputs of the records decode to, each with its output, and the dead letters of the outputs
    that did not (a pack that is not a JSON array is one dead letter, whole)."""
    events: list[tuple[Output, Projected]] = []
    dead: list[DeadLetter] = []
    for record in records:
        try:
            items = out_items(record.value, record.headers)
        except PackError as exc:
            dead.append(DeadLetter.of(record, "undecodable", str(exc)))
            continue
        for item in items:
            output = Output.of(record, item)
            try:
                event = decode(item.value)
            except UndecodableError as exc:
                dead.append(DeadLetter.of(output, "undecodable", output.note + str(exc)))
                continue
            if event is not None:
                events.append((output, event))
    return events, dead


async def apply_records(engine: AsyncEngine, records: list[Record]) -> None:
    """Apply what the records decode to, dead-lettering each record that cannot be stored."""
    events, dead = decode_records(records)
    try:
        await apply_batch(engine, [e for _, e in events])
    except DBAPIError as exc:
        if record_problem(exc) is None:
            raise  # the database's trouble, not a record's: fetch the batch again later
        # The driver's message may quote a value of the record: only the class goes to the log.
        log.warning(
            "projector batch refused (%s); applying its %d records one at a time",
            type(exc.orig).__name__,
            len(events),
        )
        for record, event in events:
            try:
                await apply_batch(engine, [event])
            except DBAPIError as one:
                problem = record_problem(one)
                if problem is None:
                    raise
                dead.append(DeadLetter.of(record, "database_refused", record.note + problem))
    if dead:
        await store_dead_letters(engine, dead)


class Projector:
    def __init__(
        self, settings: Settings, options: ApiSettings, *, engine: AsyncEngine, group_id: str | None = None
    ) -> None:
        self._settings = settings
        self._options = options
        self._engine = engine
        self._group_id = group_id or options.projector_group_id
        self._consumer: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(
            self._settings.out_topic,
            bootstrap_servers=self._settings.kafka_bootstrap_servers,
            group_id=self._group_id,
            enable_auto_commit=False,  # offsets move only after the batch is in Postgres
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=4 * 1024 * 1024,
        )
        await self._consumer.start()

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None

    async def step(self, *, timeout_ms: int = 500) -> int:
        """Fetch, apply and commit one batch; returns the number of records consumed."""
        consumer = self._consumer
        if consumer is None:
            raise RuntimeError("Projector.start() was not called")
        batches = await consumer.getmany(
            timeout_ms=timeout_ms, max_records=self._options.projector_batch_size
        )
        records = [r for part in batches.values() for r in part]
        if not records:
            return 0
        started = time.perf_counter()
        try:
            await apply_records(self._engine, records)
        except Exception:
            # Rewind so the batch is fetched again; nothing was committed in Postgres or Kafka.
            for tp, part in batches.items():
                consumer.seek(tp, part[0].offset)
            raise
        await consumer.commit()
        metrics.PROJECTOR_BATCH.observe(time.perf_counter() - started)
        return len(records)

    async def caught_up(self) -> bool:
        """True when the committed position of every assigned partition reached its end offset."""
        consumer = self._consumer
        if consumer is None:
            return False
        assigned: set[TopicPartition] = consumer.assignment()
        if not assigned:
            return False
        ends = await consumer.end_offsets(list(assigned))
        for tp in assigned:
            if await consumer.position(tp) < ends[tp]:
                return False
        return True

    async def run(self, stop: asyncio.Event) -> None:
        # Event-type observations are read beside the run events, from their own topic and position.
        reader = ObservationsReader(self._settings, engine=self._engine)
        await reader.start()
        observations = asyncio.create_task(reader.run(stop), name="projector-observations")
        try:
            await self._run(stop)
        finally:
            observations.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await observations
            await reader.stop()

    async def _run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.step()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("projector batch failed; retrying in 2 s from the same offsets")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=2.0)


async def _main() -> None:
    from api.db.engine import create_engine
    from workflows.logs import configure_logging

    settings = Settings()
    configure_logging(settings.log_level)
    engine = create_engine(settings)
    projector = Projector(settings, ApiSettings(), engine=engine)
    await projector.start()
    try:
        await projector.run(asyncio.Event())
    finally:
        await projector.stop()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(_main())
