"""One commit unit of ``workflows.events`` records through the engine: decode, load, step, collect.

No Faust and no I/O beyond the ``PartitionStore`` reads: the runtime makes the result durable (outputs,
then changelog, then the RocksDB write batch) and the unit tests run it against the in-memory twin.

Within a unit a contact's state is decoded once, stepped through all its events in record order, and
encoded once. A record that cannot be decoded, an envelope that fails validation, an event whose contact
does not hash to the record's partition, and an event whose processing raises go to the dead-letter topic
with the reason, the original headers and bytes; everything else in the unit proceeds. So does an event
whose new state stays over the record budget after ``fit_state`` trimmed it, or one of whose outputs is over
it: its contact keeps the previous state, and none of its effects go out.

An erase request's new state is written as a tombstone (the key deleted, in the changelog too). The pending
action keys (``A|``) of a contact follow what its runs wait on: written with the state that waits on them,
deleted with the state that no longer does.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import msgspec
import orjson

from streams.actions import HttpAction, encode_action, waited_actions
from streams.engine import (
    CallWebhook,
    ContactState,
    DefinitionIndex,
    Effect,
    EngineError,
    Event,
    SendSlack,
    fit_state,
    step,
)
from streams.engine import event_types as et
from streams.keys import action_key, state_key, timer_key
from streams.runlog import LOGGED_SUBJECTS, line_of
from streams.runlog import enabled as run_log_enabled
from streams.sink import Headers, OutRecord
from streams.statecodec import decode_state, encode_state
from streams.store import PartitionStore
from workflows.wire import (
    DLQ_REASON_HEADER,
    DLQ_SOURCE_HEADER,
    decode_events,
    partition_for,
)


@dataclass(slots=True)
class InRecord:
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers = field(default_factory=list)
    timestamp_ms: int | None = None


@dataclass(slots=True)
class UnitResult:
    outputs: list[OutRecord] = field(default_factory=list)  # workflows.out and the DLQ
    # Per partition: timer, action and schedule keys first, state keys last (the changelog order).
    timer_changes: dict[int, dict[bytes, bytes | None]] = field(default_factory=dict)
    state_changes: dict[int, dict[bytes, bytes | None]] = field(default_factory=dict)
    actions: list[HttpAction] = field(default_factory=list)  # new pending actions, keys written
    events: int = 0
    dead: int = 0
    oversized: int = 0  # states over the budget at the unit's end, not written
    run_events: dict[str, int] = field(default_factory=dict)
    step_seconds: float = 0.0
    produced_at_ms: list[int] = field(default_factory=list)
    timer_lateness_ms: list[int] = field(default_factory=list)
    # The run log lines of the outputs (streams.runlog), built from the dicts they were encoded from; empty
    # when the run log is off.
    run_lines: list[dict[str, Any]] = field(default_factory=list)

    def changes(self, partition: int) -> dict[bytes, bytes | None]:
        merged = dict(self.timer_changes.get(partition, {}))
        merged.update(self.state_changes.get(partition, {}))
        return merged

    def partitions(self) -> set[int]:
        return set(self.timer_changes) | set(self.state_changes)


class Processor:
    def __init__(
        self,
        store: PartitionStore,
        definitions: DefinitionIndex,
        *,
        source_topic: str,
        out_topic: str,
        dlq_topic: str,
        partitions: int,
        out_partitions: int,
        stale_overdue_ms: int | None = None,
        max_record_bytes: int = 900 * 1024,
    ) -> None:
        self.store = store
        self.definitions = definitions
        self.source_topic = source_topic
        self.out_topic = out_topic
        self.dlq_topic = dlq_topic
        self.partitions = partitions
        self.out_partitions = out_partitions
        # Unused here: the detector's workflow.run.stale_detected events carry their threshold (overdueMs)
        # and the engine applies them. Still accepted so callers built for earlier versions keep working.
        self.stale_overdue_ms = stale_overdue_ms
        self.max_record_bytes = max_record_bytes
        self._same_partitions = out_partitions == partitions
        # What each subject's outputs share: whether they are logged and counted.
        self._subjects: dict[str, _Subject] = {}
        self._lines = False  # whether this unit builds run log lines
        # contact id -> the partition it hashes to, kept across units (murmur2 per event costs); bounded.
        self._homes: dict[str, int] = {}

    def process(self, records: Sequence[InRecord], now: int) -> UnitResult:
        result = UnitResult()
        unit = _Unit()
        self._lines = run_log_enabled()
        homes = self._homes
        if len(homes) > _HOMES_KEPT:
            homes.clear()
        started = time.perf_counter()
        for record in records:
            try:
                envelopes = decode_events(record.value) if record.value is not None else None
            except orjson.JSONDecodeError as exc:
                self._dead(result, record, record.value, f"undecodable record: {exc}")
                continue
            if envelopes is None:
                self._dead(result, record, None, "empty record value")
                continue
            if record.timestamp_ms is not None:
                result.produced_at_ms.append(record.timestamp_ms)
            for raw in envelopes:
                result.events += 1
                try:
                    event = Event.from_dict(raw)
                except EngineError as exc:
                    self._dead(result, record, orjson.dumps(raw), f"invalid event: {exc}")
                    continue
                home = homes.get(event.contact_id)
                if home is None:
                    home = homes[event.contact_id] = partition_for(event.contact_id, self.partitions)
                if home != record.partition:
                    self._dead(
                        result,
                        record,
                        orjson.dumps(raw),
                        f"contact {event.contact_id!r} belongs to another partition than {record.partition}",
                    )
                    continue
                self._apply(result, record, raw, event, now, unit)
        self._finish(result, unit)
        result.step_seconds = time.perf_counter() - started
        return result

    def _finish(self, result: UnitResult, unit: _Unit) -> None:
        """Encode each changed state once; write or delete its pending action keys (streams.actions)."""
        for key, partition in unit.dirty.items():
            state = unit.cache[key]
            erased = key in unit.erased
            encoded = None
            if not erased:
                # Measured per event only near the budget: the final encode is the check that binds.
                encoded = self._encoded(state)
                if encoded is None:
                    state = fit_state(state, max_bytes=self.max_record_bytes, size=_size)
                    encoded = self._encoded(state)
                if encoded is None:
                    result.oversized += 1  # never write a record Kafka refuses; the stored state stays
                    continue
            result.state_changes.setdefault(partition, {})[key] = encoded
            before = unit.loaded_waits.get(key, frozenset())
            after = frozenset() if erased else waited_actions(state)
            if before == after:
                continue
            changes = result.timer_changes.setdefault(partition, {})
            for gone in before - after:
                changes[action_key(state.tenant_id, state.contact_id, gone)] = None
            emitted = unit.actions.get(key, {})
            for new in after - before:
                effect = emitted.get(new)
                if effect is not None:
                    changes[action_key(state.tenant_id, state.contact_id, new)] = encode_action(effect)
                    result.actions.append(effect)

    def _encoded(self, state: ContactState) -> bytes | None:
        value = encode_state(state)
        return value if len(value) <= self.max_record_bytes else None

    def _apply(
        self, result: UnitResult, record: InRecord, raw: Any, event: Event, now: int, unit: _Unit
    ) -> None:
        partition = record.partition
        key = state_key(event.tenant_id, event.contact_id)
        if event.type == et.TIMER_FIRED:
            # The firing consumes the key whatever the engine decides (a late firing is a no-op).
            due, timer_id = event.data.get("dueAt"), event.data.get("timerId")
            if isinstance(due, int) and isinstance(timer_id, str):
                tkey = timer_key(due, event.tenant_id, event.contact_id, timer_id)
                result.timer_changes.setdefault(partition, {})[tkey] = None
                result.timer_lateness_ms.append(now - due)
        try:
            state = unit.cache.get(key)
            if state is None:
                stored = self.store.get(partition, key)
                state = (
                    decode_state(stored)
                    if stored is not None
                    else ContactState.empty(event.tenant_id, event.contact_id)
                )
                unit.cache[key] = state
                unit.loaded_waits[key] = waited_actions(state)
                unit.size[key] = len(stored or b"")
            transition = step(state, event, definitions=self.definitions, now=now)
            new_state = transition.state
            erase = event.type == et.CONTACT_ERASE_REQUESTED
            if new_state is not state and not erase:
                new_state = self._within_budget(unit, key, new_state, len(record.value or b""))
        except _TooLargeError as exc:
            self._dead(result, record, orjson.dumps(raw), str(exc))  # the previous state stays
            return
        except Exception as exc:  # one event must never stop the partition
            self._dead(result, record, orjson.dumps(raw), f"processing raised {type(exc).__name__}: {exc}")
            return
        effects = transition.effects
        if not effects:  # most events trigger nothing: no staging for them
            if new_state is not state:
                unit.cache[key] = new_state
                unit.dirty[key] = partition
                if erase:
                    unit.erased.add(key)
                elif unit.erased:
                    unit.erased.discard(key)
            return
        staged = _Staged()
        for effect in effects:
            self._route(staged, partition, effect)
        if staged.largest > self.max_record_bytes - 2:  # its pack of one adds brackets (sink.packed)
            size = staged.largest
            self._dead(result, record, orjson.dumps(raw), f"output record too large: {size} bytes")
            return
        if new_state is not state:
            unit.cache[key] = new_state
            unit.dirty[key] = partition
            if erase:
                unit.erased.add(key)
            else:
                unit.erased.discard(key)
        result.outputs.extend(staged.outputs)
        if staged.lines:
            result.run_lines.extend(staged.lines)
        if staged.timers:
            result.timer_changes.setdefault(partition, {}).update(staged.timers)
        for name in staged.run_events:
            result.run_events[name] = result.run_events.get(name, 0) + 1
        if staged.actions:
            unit.actions.setdefault(key, {}).update({a.idempotency_key: a for a in staged.actions})

    def _within_budget(self, unit: _Unit, key: bytes, state: ContactState, grew_by: int) -> ContactState:
        """The state, trimmed if it outgrew the record budget; _TooLargeError if trimming is not enough.

        Encoding a state per event costs, so it is measured only once its last known size plus what the
        unit's records could have added comes near the budget (the unit's final encode checks again)."""
        estimate = unit.size.get(key, 0) + grew_by + _GROWTH_SLACK
        unit.size[key] = estimate
        if estimate <= self.max_record_bytes // 2:
            return state
        fitted = fit_state(state, max_bytes=self.max_record_bytes, size=_size)
        measured = _size(fitted)
        if measured > self.max_record_bytes:
            raise _TooLargeError(
                f"contact state too large: {measured} bytes after trimming (budget {self.max_record_bytes})"
            )
        unit.size[key] = measured
        return fitted

    def _route(self, staged: _Staged, partition: int, effect: Effect) -> None:
        route = effect.route
        if route == "nats":
            subject = effect.subject or effect.kind
            known = self._subjects.get(subject)
            if known is None:
                known = self._subjects[subject] = _Subject(subject, effect.kind)
            payload = effect.to_dict()
            value = _dumps(payload)
            if len(value) > staged.largest:
                staged.largest = len(value)
            # No headers: the output names its subject and idempotency key, and leaves in a pack (packed).
            staged.outputs.append(
                OutRecord(
                    self.out_topic,
                    # workflows.out is partitioned like workflows.events: same count, same partition.
                    partition
                    if self._same_partitions
                    else partition_for(effect.contact_id, self.out_partitions),
                    effect.contact_id.encode(),
                    value,
                )
            )
            if known.logged and self._lines:
                line = line_of(subject, payload)
                if line is not None:
                    staged.lines.append(line)
            if known.counted is not None:
                staged.run_events.append(known.counted)
        elif route == "timer":
            tkey = timer_key(effect.due_at, effect.tenant_id, effect.contact_id, effect.timer_id)  # type: ignore[union-attr]
            if effect.kind == "schedule_timer":
                staged.timers[tkey] = _dumps(
                    {
                        "tenantId": effect.tenant_id,
                        "contactId": effect.contact_id,
                        "runId": effect.run_id,
                        "timerId": effect.timer_id,  # type: ignore[union-attr]
                        "kind": effect.timer_kind,  # type: ignore[union-attr]
                        "dueAt": effect.due_at,  # type: ignore[union-attr]
                    }
                )
            else:
                staged.timers[tkey] = None
        elif isinstance(effect, CallWebhook | SendSlack):
            staged.actions.append(effect)

    def _dead(self, result: UnitResult, record: InRecord, value: bytes | None, reason: str) -> None:
        result.dead += 1
        headers = [
            *record.headers,
            (DLQ_REASON_HEADER, reason[:2000].encode()),
            (DLQ_SOURCE_HEADER, f"{self.source_topic}:{record.partition}:{record.offset}".encode()),
        ]
        result.outputs.append(OutRecord(self.dlq_topic, 0, record.key, value, headers))


# Outputs and timer values are encoded with msgspec: orjson 3.13 allocates at least 8 KiB for every
# result whatever its length, and a unit holds tens of thousands of outputs until they are acknowledged
# (measured: 292 MiB for the 45,000 outputs of 5,000 run starts, 34 MB of JSON).
_dumps: Final = msgspec.json.Encoder().encode

# Contacts whose partition is remembered across units before the memo starts again.
_HOMES_KEPT: Final = 100_000

# What one event may add to a state beyond its record's bytes (ids, timestamps, step bookkeeping).
_GROWTH_SLACK: Final = 4096


def _size(state: ContactState) -> int:
    return len(encode_state(state))


class _TooLargeError(Exception):
    pass


@dataclass(slots=True)
class _Unit:
    """Per-contact bookkeeping of one unit, keyed by state key."""

    cache: dict[bytes, ContactState] = field(default_factory=dict)
    dirty: dict[bytes, int] = field(default_factory=dict)
    erased: set[bytes] = field(default_factory=set)
    loaded_waits: dict[bytes, frozenset[str]] = field(default_factory=dict)
    size: dict[bytes, int] = field(default_factory=dict)  # last known encoded size, or an upper estimate
    actions: dict[bytes, dict[str, HttpAction]] = field(default_factory=dict)


class _Subject:
    """What the outputs of one subject share, worked out once per subject instead of once per output."""

    __slots__ = ("counted", "logged")

    def __init__(self, subject: str, kind: str) -> None:
        self.logged = subject in LOGGED_SUBJECTS  # has a run log line (streams.runlog)
        # The run lifecycle events the runs metric counts, by status (not the step records).
        self.counted: str | None = (
            subject.removeprefix("workflow.run.")
            if kind == "run_event" and subject != et.NODE_EXECUTED
            else None
        )


@dataclass(slots=True)
class _Staged:
    """One event's effects, kept apart until the event is known to fit."""

    largest: int = 0  # bytes of its largest output
    outputs: list[OutRecord] = field(default_factory=list)
    timers: dict[bytes, bytes | None] = field(default_factory=dict)
    actions: list[HttpAction] = field(default_factory=list)
    run_events: list[str] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
