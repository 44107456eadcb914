"""The Kafka record formats every process agrees on. One place, so the bridge, the worker and the API
cannot drift apart.

``workflows.events`` (key = contactId, UTF-8)
    value: one platform envelope ``{"id","type","tenantId","contactId","occurredAt","data"}`` (JSON object),
    or a *batch*: a JSON array of envelopes whose contactIds all map to the record's partition, in per-contact
    order. A batch of one is valid. Producers that batch choose the partition with :func:`partition_for` and
    set the record key to the first envelope's contactId.
``workflows.out``
    value: a *pack*, a JSON array of effects' ``to_dict()`` in the order they were produced, all of contacts
    that map to the record's partition, no key and no headers: each output names its ``subject`` (the NATS
    subject to publish to) and ``idempotencyKey`` (used as ``Nats-Msg-Id`` so JetStream drops duplicates).
    Or, as earlier releases wrote them, a single output: one effect's ``to_dict()`` as a JSON object, key =
    contactId, headers ``subject`` and ``idempotency-key``. Readers take both with :func:`out_items`;
    :func:`pack_outputs` groups outputs into packs.
``workflows.definitions`` (compacted)
    key ``{workflowId}:{version}`` -> the version's definition (what ``compile_definition`` accepts);
    key ``{workflowId}:active`` -> ``{"workflowId","tenantId","version": int | null, "status"}``, the pointer
    that decides which version starts new runs. A null value (tombstone) deletes the key.
``workflows.observations`` (one partition, no key, deleted after ``WORKFLOWS_OBSERVATIONS_RETENTION_MS``)
    value: ``{"kind": "event_types", "at": ISO-8601,
    "items": [{"tenantId", "type", "count", "lastSeenAt"}]}``,
    one record per bridge flush (about every 10 s, only when something arrived): ``count`` is how many
    events of that tenant and type the bridge admitted since its previous record (a delta: readers add them
    up), ``lastSeenAt`` (ISO-8601) when the last of them was admitted. :func:`encode_observations` /
    :func:`decode_observations`; readers skip records of another ``kind``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import msgspec
import orjson
from aiokafka.partitioner import murmur2

from streams.engine.timeutil import format_iso

# Header names. Kafka records: ``workflows.out`` (subject, idempotency key) and the worker's dead letters.
SUBJECT_HEADER = "subject"
IDEMPOTENCY_HEADER = "idempotency-key"
DLQ_REASON_HEADER = "dlq-reason"
DLQ_SOURCE_HEADER = "dlq-source"  # {topic}:{partition}:{offset} of the record dead-lettered
# NATS messages: JetStream's de-duplication id, and the bridge's dead letters (workflows.dlq).
NATS_MSG_ID_HEADER = "Nats-Msg-Id"
NATS_DLQ_REASON_HEADER = "Workflows-Dlq-Reason"
NATS_DLQ_SUBJECT_HEADER = "Workflows-Dlq-Subject"
NATS_DLQ_SOURCE_HEADER = "Workflows-Dlq-Source"
ACTIVE_SUFFIX = "active"
OBSERVATIONS_EVENT_TYPES = "event_types"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


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


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def format_instant(ms: int) -> str:
    """Epoch milliseconds as the envelope's ISO 8601 UTC time, e.g. ``2026-03-08T07:00:00.000Z``: the one
    time format of every message and record the processes write (the engine's own, so the engine, which
    imports nothing of ours, and the processes write the same text)."""
    return format_iso(ms)


def iso_utc(at: datetime) -> str:
    """An aware datetime in the same format, cut to the millisecond."""
    return format_instant((at - _EPOCH) // _MS)


def envelope(
    event_type: str,
    *,
    tenant_id: str,
    contact_id: str,
    data: Any,
    event_id: str | None = None,
    occurred_at_ms: int | None = None,
) -> dict[str, Any]:
    """The platform envelope ``{"id","type","tenantId","contactId","occurredAt","data"}``: every message and
    event our processes build, inbound or outbound, comes from here.

    ``event_id`` is derived by the caller wherever the message can be produced twice (an idempotency key, a
    timer id), so a re-sent record is the same message; a fresh uuid4 only for what a person's command
    publishes once. ``occurred_at_ms`` defaults to now."""
    return {
        "id": event_id or str(uuid.uuid4()),
        "type": event_type,
        "tenantId": tenant_id,
        "contactId": contact_id,
        "occurredAt": format_instant(now_ms() if occurred_at_ms is None else occurred_at_ms),
        "data": data if isinstance(data, dict) or not isinstance(data, Mapping) else dict(data),
    }


def out_headers(subject: str, idempotency_key: str) -> list[tuple[str, bytes]]:
    return [(SUBJECT_HEADER, subject.encode()), (IDEMPOTENCY_HEADER, idempotency_key.encode())]


def definition_key(workflow_id: str, version: int) -> bytes:
    return f"{workflow_id}:{version}".encode()


def active_key(workflow_id: str) -> bytes:
    return f"{workflow_id}:{ACTIVE_SUFFIX}".encode()


# A tenant's frequency caps share the compacted definitions topic: ``policy:{tenantId}:frequency-caps``,
# value the policy document ({"caps": [...]}, see streams.engine.caps); a tombstone lifts the caps.
POLICY_PREFIX = "policy:"
FREQUENCY_CAPS_SUFFIX = ":frequency-caps"


def frequency_caps_key(tenant_id: str) -> bytes:
    return f"{POLICY_PREFIX}{tenant_id}{FREQUENCY_CAPS_SUFFIX}".encode()


def frequency_caps_tenant(key: str) -> str | None:
    """The tenant of a frequency-caps record key, None for any other key."""
    if key.startswith(POLICY_PREFIX) and key.endswith(FREQUENCY_CAPS_SUFFIX):
        return key[len(POLICY_PREFIX) : -len(FREQUENCY_CAPS_SUFFIX)] or None
    return None


def encode_policy(document: Mapping[str, Any]) -> bytes:
    return orjson.dumps(document)


@dataclass(frozen=True, slots=True)
class ObservedType:
    """Events of one tenant and type admitted by the bridge since its previous observations record."""

    tenant_id: str
    event_type: str
    count: int
    last_seen_at: datetime  # timezone-aware


@dataclass(frozen=True, slots=True)
class Observations:
    at: datetime
    items: list[ObservedType]


class ObservationsDecodeError(ValueError):
    """A ``workflows.observations`` record that is not an ``event_types`` record of this format."""


def encode_observations(items: Iterable[ObservedType], *, at: datetime) -> bytes:
    return orjson.dumps(
        {
            "kind": OBSERVATIONS_EVENT_TYPES,
            "at": iso_utc(at),
            "items": [
                {
                    "tenantId": i.tenant_id,
                    "type": i.event_type,
                    "count": i.count,
                    "lastSeenAt": iso_utc(i.last_seen_at),
                }
                for i in items
            ],
        }
    )


def _when(value: Any, what: str) -> datetime:
    if not isinstance(value, str):
        raise ObservationsDecodeError(f"{what} must be an ISO-8601 string, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ObservationsDecodeError(f"{what} is not ISO-8601: {value!r}") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def decode_observations(value: bytes) -> Observations:
    """One record of ``workflows.observations``; raises ``ObservationsDecodeError`` (malformed, or another
    ``kind`` a newer producer writes, which a reader should skip)."""
    try:
        raw = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise ObservationsDecodeError(f"malformed JSON: {exc}") from None
    if not isinstance(raw, dict) or raw.get("kind") != OBSERVATIONS_EVENT_TYPES:
        kind = raw.get("kind") if isinstance(raw, dict) else type(raw).__name__
        raise ObservationsDecodeError(f"not an {OBSERVATIONS_EVENT_TYPES!r} record: kind {kind!r}")
    items = raw.get("items")
    if not isinstance(items, list):
        raise ObservationsDecodeError("items must be a list")
    out = []
    for n, item in enumerate(items):
        if not isinstance(item, dict):
            raise ObservationsDecodeError(f"items[{n}] must be an object")
        tenant, kind, count = item.get("tenantId"), item.get("type"), item.get("count")
        if not isinstance(tenant, str) or not isinstance(kind, str):
            raise ObservationsDecodeError(f"items[{n}] needs string tenantId and type")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise ObservationsDecodeError(f"items[{n}].count must be a non-negative integer")
        out.append(ObservedType(tenant, kind, count, _when(item.get("lastSeenAt"), f"items[{n}].lastSeenAt")))
    return Observations(_when(raw.get("at"), "at"), out)


# -- workflows.out -----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class OutItem:
    """One output of a ``workflows.out`` record: its position in the record (0 for a single output), its
    JSON object, the subject and idempotency key it names (None when it names none), and whether it is an
    item of a pack (its position then includes ``index``)."""

    index: int
    value: bytes
    subject: str | None
    idempotency_key: str | None
    packed: bool = False


class PackError(ValueError):
    """A ``workflows.out`` record that starts as a pack but is not a JSON array."""


class _Head(msgspec.Struct, rename="camel"):
    subject: str | None = None
    idempotency_key: str | None = None


_NO_HEAD: Final = _Head()
_pack = msgspec.json.Decoder(list[msgspec.Raw])
_head = msgspec.json.Decoder(_Head)


def out_items(value: bytes | None, headers: Iterable[tuple[str, bytes]]) -> list[OutItem]:
    """The outputs of a ``workflows.out`` record, in order: a pack's items (each read for its subject and
    idempotencyKey; an item that is not an object of that shape names neither), or the single output with
    its headers. Raises :class:`PackError` for a pack that is not a JSON array."""
    if value is not None and value[:1] == b"[":
        try:
            raws = _pack.decode(value)
        except msgspec.DecodeError as exc:
            raise PackError(f"undecodable pack: {exc}") from None
        items = []
        for index, raw in enumerate(raws):
            item = bytes(raw)
            try:
                head = _head.decode(item)
            except msgspec.DecodeError:
                head = _NO_HEAD  # the reader's own checks refuse it
            items.append(OutItem(index, item, head.subject, head.idempotency_key, packed=True))
        return items
    named = dict(headers)
    subject, key = named.get(SUBJECT_HEADER), named.get(IDEMPOTENCY_HEADER)
    return [
        OutItem(
            0,
            value or b"",
            subject.decode(errors="replace") if subject else None,
            key.decode(errors="replace") if key else None,
        )
    ]


def pack_outputs(values: Sequence[bytes], max_bytes: int) -> list[list[bytes]]:
    """The values in order, grouped into packs of at most ``max_bytes`` each (brackets and commas
    included); a value too large to share a pack is a group of its own."""
    groups: list[list[bytes]] = []
    current: list[bytes] = []
    size = 1  # "[" then each value followed by "," or "]"
    for value in values:
        if current and size + len(value) + 1 > max_bytes:
            groups.append(current)
            current, size = [], 1
        current.append(value)
        size += len(value) + 1
    if current:
        groups.append(current)
    return groups


def encode_pack(values: Sequence[bytes]) -> bytes:
    return b"[" + b",".join(values) + b"]"
