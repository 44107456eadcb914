"""Builders shared by the worker tests: definitions on a feed, contacts per partition, records, stores."""

from __future__ import annotations

from collections.abc import Coroutine, Sequence
from typing import Any

import orjson

from streams.commit import CommitUnit
from streams.definitions import DefinitionFeed
from streams.engine import ContactState
from streams.keys import state_key
from streams.metrics import Metrics
from streams.processor import InRecord, Processor, UnitResult
from streams.sink import MemorySink, OutRecord
from streams.statecodec import decode_state, encode_state
from streams.store import MemoryPartitionStore
from tests.unit.engine.helpers import MINUTE, T0, TENANT, node, workflow
from workflows.wire import active_key, definition_key, partition_for

PARTITIONS = 4
OUT_PARTITIONS = 3
EVENTS = "workflows.events"
OUT = "workflows.out"
DLQ = "workflows.events.dlq"
OVERDUE_MS = 15 * MINUTE
DELAY_MS = 60 * MINUTE

__all__ = ["DELAY_MS", "EVENTS", "MINUTE", "OUT", "OVERDUE_MS", "PARTITIONS", "T0", "TENANT", "node"]


def contacts_on(partition: int, count: int = 1, *, partitions: int = PARTITIONS) -> list[str]:
    """The first ``count`` contact ids ``c-0``, ``c-1``... that Kafka's partitioner puts on ``partition``."""
    found: list[str] = []
    i = 0
    while len(found) < count:
        candidate = f"c-{i}"
        if partition_for(candidate, partitions) == partition:
            found.append(candidate)
        i += 1
    return found


def contact_on(partition: int) -> str:
    return contacts_on(partition)[0]


def delay_workflow(workflow_id: str = "wf1", **extra: Any) -> dict[str, Any]:
    """contact.created -> send_email -> delay of DELAY_MS -> end."""
    return workflow(
        [
            node("a", "send_email", templateId="tpl-1", fromEmail="hello@acme.test"),
            node("d", "delay", duration=DELAY_MS // MINUTE, unit="minutes"),
        ],
        workflow_id=workflow_id,
        **extra,
    )


def schedule_workflow(workflow_id: str = "wf-cron", cron: str = "0 9 * * *") -> dict[str, Any]:
    return workflow(
        [node("a", "send_email", templateId="tpl-2")],
        trigger={"type": "schedule", "cron": cron, "timezone": "UTC", "audience": {"segmentId": "vip"}},
        workflow_id=workflow_id,
    )


def pointer(workflow_id: str, version: int | None, status: str = "active") -> bytes:
    return orjson.dumps({"workflowId": workflow_id, "tenantId": TENANT, "version": version, "status": status})


def feed_with(*definitions: dict[str, Any]) -> DefinitionFeed:
    """A feed that received each definition's version record and an active pointer to it."""
    feed = DefinitionFeed()
    for d in definitions:
        feed.apply(definition_key(d["id"], d["version"]), orjson.dumps(d))
        feed.apply(active_key(d["id"]), pointer(d["id"], d["version"]))
    return feed


def envelope(
    event_id: str, kind: str, contact: str, data: dict[str, Any] | None = None, *, at: int = T0
) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": kind,
        "tenantId": TENANT,
        "contactId": contact,
        "occurredAt": at,
        "data": data or {},
    }


def record(partition: int, offset: int, *envelopes: dict[str, Any], key: bytes | None = None) -> InRecord:
    """One ``workflows.events`` record: a single envelope as an object, several as a batch array."""
    value = orjson.dumps(envelopes[0] if len(envelopes) == 1 else list(envelopes))
    if key is None:
        key = str(envelopes[0].get("contactId")).encode()
    return InRecord(partition, offset, key, value, [("origin", b"test")], T0)


def processor(store: MemoryPartitionStore, feed: DefinitionFeed) -> Processor:
    return Processor(
        store,
        feed.index,
        source_topic=EVENTS,
        out_topic=OUT,
        dlq_topic=DLQ,
        partitions=PARTITIONS,
        out_partitions=OUT_PARTITIONS,
        stale_overdue_ms=OVERDUE_MS,
    )


def apply(store: MemoryPartitionStore, result: UnitResult) -> None:
    """Make a unit's changes durable through the commit unit (outputs to a memory sink, then the store)."""
    changes = {p: result.changes(p) for p in result.partitions()}
    _run_now(_commit_unit(store).commit(result.outputs, changes))


def _run_now(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine that never suspends (the memory twins never wait), also inside a running loop."""
    try:
        coroutine.send(None)
    except StopIteration:
        return
    coroutine.close()
    raise AssertionError("the commit unit waited on something: the memory twins never do")


def _commit_unit(store: MemoryPartitionStore) -> CommitUnit:
    return CommitUnit(
        MemorySink(PARTITIONS),
        store,
        processor(store, DefinitionFeed()),
        changelog_topic="contacts-changelog",
        metrics=Metrics(),
    )


def as_in_records(records: Sequence[OutRecord], first_offset: int = 100) -> list[InRecord]:
    """Records a producer sent to ``workflows.events``, as the worker reads them back."""
    return [
        InRecord(r.partition, first_offset + i, r.key, r.value, list(r.headers))
        for i, r in enumerate(records)
    ]


def header(out: OutRecord, name: str) -> bytes | None:
    return next((value for key, value in out.headers if key == name), None)


def subjects(outputs: Sequence[OutRecord]) -> list[str]:
    """The subject each output names (outputs carry no headers: they leave in packs)."""
    return [str(orjson.loads(o.value or b"{}").get("subject") or "") for o in outputs]


def idempotency_keys(outputs: Sequence[OutRecord]) -> list[str]:
    return [str(orjson.loads(o.value or b"{}").get("idempotencyKey") or "") for o in outputs]


def load_state(store: MemoryPartitionStore, partition: int, contact: str) -> ContactState | None:
    raw = store.get(partition, state_key(TENANT, contact))
    return decode_state(raw) if raw is not None else None


def put_state(store: MemoryPartitionStore, partition: int, state: ContactState) -> None:
    store.write(partition, {state_key(state.tenant_id, state.contact_id): encode_state(state)}, None)


def member(contact: str, *segments: str, tenant: str = TENANT) -> ContactState:
    state = ContactState.empty(tenant, contact)
    state.profile["segments"] = list(segments)
    return state
