"""Inbound envelopes: admit or reject one NATS payload, and pack admitted events into Kafka records.

Pure functions (no I/O) so the rules are unit-tested in microseconds and the hot path stays cheap: a valid
payload that already has ``id`` and ``type`` is forwarded byte for byte, never re-encoded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import orjson

from streams.engine import event_types as et
from streams.engine.errors import EventError
from streams.engine.events import Event
from workflows.identifiers import envelope_problem
from workflows.subjects import DEFAULT_SUBJECTS, custom_type_problem, event_type_of
from workflows.wire import partition_for

__all__ = ["Accepted", "Record", "Rejected", "admit", "is_internal", "pack", "partitioner"]


@dataclass(frozen=True, slots=True)
class Accepted:
    contact_id: str
    body: bytes  # one JSON object, ready to be an element of a batch value
    tenant_id: str = ""
    event_type: str = ""


@dataclass(frozen=True, slots=True)
class Rejected:
    reason: str


@dataclass(frozen=True, slots=True)
class Record:
    partition: int
    key: bytes
    value: bytes
    count: int  # events in the record


def admit(
    payload: bytes, *, subject: str, max_bytes: int, subjects: tuple[str, ...] = DEFAULT_SUBJECTS
) -> Accepted | Rejected:
    """Validate one envelope that arrived on ``subject`` (without the subject prefix); ``subjects`` are the
    ones the bridge subscribes to. A missing ``type`` becomes the subject's event type; anything else wrong
    rejects the message with a reason an operator can act on.

    The subject is what the platform's access control vouches for, so it wins over the payload: a ``type``
    that differs from the subject's type, or that names one of the engine's internal events (timers, action
    results, manual and webhook triggers, cancels, erasure, replays, stale checks), is rejected. Otherwise a
    publisher allowed on ``pipeline.message.opened`` could cancel or erase any tenant's runs. On the custom
    namespace (``events.<type>``) a type that has a subject of its own is rejected for the same reason.

    Identifiers follow ``workflows.identifiers``: an envelope without ``id`` is rejected (a redelivered copy
    could not be told apart from a new event), and so is an id, tenant or contact breaking the rules."""
    if len(payload) > max_bytes:
        return Rejected(f"body too large: {len(payload)} bytes exceeds the limit of {max_bytes} bytes")
    try:
        raw = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        return Rejected(f"malformed JSON: {exc}")
    if not isinstance(raw, dict):
        return Rejected(f"envelope must be a JSON object, got {type(raw).__name__}")
    event_type = event_type_of(subject)
    patched = False
    if raw.get("type") in (None, ""):
        raw["type"] = event_type
        patched = True
    elif raw["type"] != event_type:
        return Rejected(f"type {str(raw['type'])[:200]!r} differs from its subject {event_type!r}")
    if is_internal(event_type):
        return Rejected(f"type {event_type!r} is internal to the engine and never accepted from NATS")
    if subject.startswith(et.CUSTOM_SUBJECT_PREFIX):
        problem = custom_type_problem(event_type, subjects)
        if problem is not None:
            return Rejected(problem)
    problem = envelope_problem(raw)
    if problem is not None:
        return Rejected(f"invalid envelope: {problem}")
    try:
        event = Event.from_dict(raw)
    except EventError as exc:
        return Rejected(f"invalid envelope: {exc}")
    return Accepted(event.contact_id, orjson.dumps(raw) if patched else payload, event.tenant_id, event_type)


def is_internal(event_type: str) -> bool:
    """Engine-internal types: the known ones, and the whole ``workflow.`` namespace the engine owns."""
    return event_type in et.INTERNAL_EVENT_TYPES or event_type.startswith("workflow.")


def partitioner(partitions: int, *, cache_size: int = 131_072) -> Callable[[str], int]:
    """``partition_for`` memoised: murmur2 is pure Python, and active contacts repeat."""

    @lru_cache(maxsize=cache_size)
    def of(contact_id: str) -> int:
        return partition_for(contact_id, partitions)

    return of


@dataclass(slots=True)
class _Open:
    key: bytes
    parts: list[bytes] = field(default_factory=list)
    size: int = 2


def pack(
    events: Iterable[Accepted], *, partition_of: Callable[[str], int], max_record_bytes: int
) -> list[Record]:
    """Group events by target partition into JSON-array records, keeping their order within each partition
    (so per contact). A record closes when adding an event would pass ``max_record_bytes``; records of the
    same partition come out in order."""
    out: list[Record] = []
    open_: dict[int, _Open] = {}
    for event in events:
        partition = partition_of(event.contact_id)
        current = open_.get(partition)
        if current is not None and current.parts and current.size + len(event.body) + 1 > max_record_bytes:
            out.append(_close(partition, current))
            current = None
        if current is None:
            current = open_[partition] = _Open(key=event.contact_id.encode())
        current.parts.append(event.body)
        current.size += len(event.body) + 1
    out.extend(_close(partition, current) for partition, current in open_.items())
    return out


def _close(partition: int, current: _Open) -> Record:
    return Record(partition, current.key, b"[" + b",".join(current.parts) + b"]", len(current.parts))
