"""`workflows replay`: offer retained ``workflows.events`` to newly activated workflows (backfill).

Which events a workflow is offered: platform events of the window ``[--from, --to)`` (Kafka record time)
that arrived *before* the workflow's current activation (the record time of its ``{workflowId}:active``
pointer). Events after activation were seen live, so they are never offered again.

Each offer is one ``workflow.trigger.replay`` envelope, id ``replay:{workflowId}:{eventId}``, on the
contact's partition; the engine derives the run id the original event would have had and skips runs that
exist or finished, so a second replay enrols nobody twice. ``--dry-run`` counts instead: it applies each
event to a scratch state of its contact (the profile the events of the window carry) and counts the runs
that would start, per workflow, producing nothing.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from streams.definitions import DefinitionFeed
from streams.engine import ContactState, DefinitionIndex, EmitRunEvent, Event, EventError, step
from streams.engine import event_types as et
from workflows import wire
from workflows.settings import Settings
from workflows.wire import ACTIVE_SUFFIX, decode_events, partition_for

Progress = Callable[[int, int], None]  # (records read, records to read)


@dataclass(frozen=True, slots=True)
class ReplayRequest:
    from_ms: int
    to_ms: int | None = None
    tenant: str | None = None
    workflow: str | None = None
    dry_run: bool = False


@dataclass(slots=True)
class ReplaySummary:
    records: int = 0
    events: int = 0
    undecodable: int = 0
    offered: Counter[str] = field(default_factory=Counter)  # workflowId -> replay envelopes produced
    would_start: Counter[str] = field(default_factory=Counter)  # dry run: workflowId -> runs
    targets: dict[str, int] = field(default_factory=dict)  # workflowId -> activation time (ms)


async def load_definitions(settings: Settings) -> tuple[DefinitionFeed, dict[str, int]]:
    """Read the compacted definitions topic to its end; return the feed and each active pointer's time."""
    feed = DefinitionFeed()
    activated: dict[str, int] = {}
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [
            TopicPartition(settings.definitions_topic, p)
            for p in await _partitions(settings, settings.definitions_topic)
        ]
        if not tps:
            return feed, activated
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        while [tp for tp in tps if await consumer.position(tp) < end[tp]]:
            batch = await consumer.getmany(*tps, timeout_ms=1000)
            for records in batch.values():
                for r in records:
                    feed.apply(r.key, r.value)
                    if r.key is not None and r.key.endswith(f":{ACTIVE_SUFFIX}".encode()):
                        activated[r.key.decode().rpartition(":")[0]] = r.timestamp
    finally:
        await consumer.stop()
    return feed, activated


async def _partitions(settings: Settings, topic: str) -> list[int]:
    """The topic's partition ids (an unsubscribed consumer has no metadata for it; the admin client asks)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    if not described or described[0].get("error_code", 0) != 0:
        return []
    return sorted(p["partition"] for p in described[0]["partitions"])


def _targets(feed: DefinitionFeed, activated: dict[str, int], request: ReplayRequest) -> dict[str, int]:
    targets = {}
    for workflow_id, at in activated.items():
        definition = feed.index.active(workflow_id)
        if definition is None or (request.workflow and workflow_id != request.workflow):
            continue
        if request.tenant and definition.tenant_id != request.tenant:
            continue
        targets[workflow_id] = at
    return targets


async def replay(
    settings: Settings, request: ReplayRequest, *, progress: Progress | None = None
) -> ReplaySummary:
    feed, activated = await load_definitions(settings)
    summary = ReplaySummary(targets=_targets(feed, activated, request))
    if not summary.targets:
        return summary
    tenants = {feed.index.active(w).tenant_id for w in summary.targets}  # type: ignore[union-attr]
    scratch: dict[tuple[str, str], ContactState] = {}
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False)
    producer = None
    if not request.dry_run:
        producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            acks="all",
            enable_idempotence=True,
            linger_ms=20,
        )
        await producer.start()
    await consumer.start()
    try:
        partitions = await _partitions(settings, settings.events_topic)
        tps = [TopicPartition(settings.events_topic, p) for p in partitions]
        if not tps:
            return summary
        consumer.assign(tps)
        starts = await consumer.offsets_for_times({tp: request.from_ms for tp in tps})
        ends = await consumer.end_offsets(tps)
        if request.to_ms is not None:
            stops = await consumer.offsets_for_times({tp: request.to_ms for tp in tps})
            ends = {tp: stops[tp].offset if stops[tp] is not None else ends[tp] for tp in tps}
        begin = {tp: starts[tp].offset if starts[tp] is not None else ends[tp] for tp in tps}
        total = sum(max(0, ends[tp] - begin[tp]) for tp in tps)
        live = [tp for tp in tps if begin[tp] < ends[tp]]
        for tp in live:
            consumer.seek(tp, begin[tp])
        pending = []
        while live:
            batch = await consumer.getmany(*live, timeout_ms=1000, max_records=5000)
            for tp, records in batch.items():
                for r in records:
                    if r.offset >= ends[tp]:
                        break
                    summary.records += 1
                    for envelope in _envelopes(r.value, summary):
                        offers = _offers(
                            envelope, r.timestamp, summary, tenants, feed.index, request, scratch
                        )
                        if producer is not None:
                            for workflow_id, value, contact in offers:
                                partition = partition_for(contact, len(partitions))
                                pending.append(
                                    await producer.send(
                                        settings.events_topic,
                                        value,
                                        key=contact.encode(),
                                        partition=partition,
                                    )
                                )
                                summary.offered[workflow_id] += 1
            live = [tp for tp in live if await consumer.position(tp) < ends[tp]]
            if progress is not None:
                progress(summary.records, total)
        if pending:
            await asyncio.gather(*pending)
    finally:
        await consumer.stop()
        if producer is not None:
            await producer.stop()
    return summary


def _envelopes(value: bytes | None, summary: ReplaySummary) -> list[Any]:
    if value is None:
        return []
    try:
        return decode_events(value)
    except orjson.JSONDecodeError:
        summary.undecodable += 1
        return []


def _offers(
    envelope: Any,
    record_ms: int,
    summary: ReplaySummary,
    tenants: set[str],
    index: DefinitionIndex,
    request: ReplayRequest,
    scratch: dict[tuple[str, str], ContactState],
) -> list[tuple[str, bytes, str]]:
    try:
        event = Event.from_dict(envelope)
    except EventError:
        summary.undecodable += 1
        return []
    if event.type in et.INTERNAL_EVENT_TYPES or event.tenant_id not in tenants:
        return []
    summary.events += 1
    state = _advance_scratch(event, scratch) if request.dry_run else None
    offers = []
    for workflow_id, activated_at in summary.targets.items():
        definition = index.active(workflow_id)
        if definition is None or definition.tenant_id != event.tenant_id or record_ms >= activated_at:
            continue
        replay_event = wire.envelope(
            et.TRIGGER_REPLAY,
            event_id=f"replay:{workflow_id}:{event.id}",
            tenant_id=event.tenant_id,
            contact_id=event.contact_id,
            occurred_at_ms=event.occurred_at_ms,
            data={"workflowId": workflow_id, "event": envelope},
        )
        if state is not None:
            effects = step(
                state, Event.from_dict(replay_event), definitions=index, now=event.occurred_at_ms
            ).effects
            summary.would_start[workflow_id] += sum(
                1 for e in effects if isinstance(e, EmitRunEvent) and e.event_type == et.RUN_STARTED
            )
        else:
            offers.append((workflow_id, orjson.dumps(replay_event), event.contact_id))
    return offers


_NO_DEFINITIONS = DefinitionIndex()


def _advance_scratch(event: Event, scratch: dict[tuple[str, str], ContactState]) -> ContactState:
    """The contact's profile as of this event, carried through the window (no runs in the scratch state)."""
    key = (event.tenant_id, event.contact_id)
    state = scratch.get(key) or ContactState.empty(event.tenant_id, event.contact_id)
    state = scratch[key] = step(state, event, definitions=_NO_DEFINITIONS, now=event.occurred_at_ms).state
    return state
