"""The Kafka record formats every process agrees on. One place, so the bridge, the worker and the API
cannot drift apart.

``workflows.events`` (key = contactId, UTF-8)
    value: one platform envelope ``{"id","type","tenantId","contactId","occurredAt","data"}`` (JSON object),
    or a *batch*: a JSON array of envelopes whose contactIds all map to the record's partition, in per-contact
    order. A batch of one is valid. Producers that batch choose the partition with :func:`partition_for` and
    set the record key to the first envelope's contactId.
``workflows.out`` (key = contactId)
    value: one effect's ``to_dict()`` as JSON; headers ``subject`` (the NATS subject to publish to) and
    ``idempotency-key`` (used as ``Nats-Msg-Id`` so JetStream drops duplicates).
``workflows.definitions`` (compacted)
    key ``{workflowId}:{version}`` -> the version's definition (what ``compile_definition`` accepts);
    key ``{workflowId}:active`` -> ``{"workflowId","tenantId","version": int | null, "status"}``, the pointer
    that decides which version starts new runs. A null value (tombstone) deletes the key.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
from aiokafka.partitioner import murmur2

SUBJECT_HEADER = "subject"
IDEMPOTENCY_HEADER = "idempotency-key"
ACTIVE_SUFFIX = "active"


def partition_for(contact_id: str, partitions: int) -> int:
    """Kafka's default partitioner for a key, exactly (murmur2, positive, modulo the partition count)."""
    return int(murmur2(contact_id.encode()) & 0x7FFFFFFF) % partitions


def encode_events(envelopes: Iterable[Mapping[str, Any]]) -> bytes:
    """A batch value (JSON array)."""
    return orjson.dumps(list(envelopes))


def decode_events(value: bytes) -> list[Any]:
    """The envelopes of one record (single or batch) as plain dicts; raises ``orjson.JSONDecodeError``."""
    parsed = orjson.loads(value)
    return parsed if isinstance(parsed, list) else [parsed]


def envelope(
    event_type: str, *, tenant_id: str, contact_id: str, data: Mapping[str, Any], event_id: str | None = None
) -> dict[str, Any]:
    """A platform envelope as another module would publish it: a fresh id and the current time by default."""
    return {
        "id": event_id or str(uuid.uuid4()),
        "type": event_type,
        "tenantId": tenant_id,
        "contactId": contact_id,
        "occurredAt": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "data": dict(data),
    }


def out_headers(subject: str, idempotency_key: str) -> list[tuple[str, bytes]]:
    return [(SUBJECT_HEADER, subject.encode()), (IDEMPOTENCY_HEADER, idempotency_key.encode())]


def definition_key(workflow_id: str, version: int) -> bytes:
    return f"{workflow_id}:{version}".encode()


def active_key(workflow_id: str) -> bytes:
    return f"{workflow_id}:{ACTIVE_SUFFIX}".encode()
