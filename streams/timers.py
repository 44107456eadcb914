"""The timer pump and schedule enrolment: durable timers are keys of the ``contacts`` table (streams.keys).

Each tick scans only the due range (``T|`` .. ``T|{now}``) of the partitions this worker owns and produces
``workflow.timer.fired`` into ``workflows.events`` on the same partition, packed as batch records. The worker
applies a firing only if the run still waits on that timer, and deletes the key either way; a key fired but
not yet consumed is not fired again until ``refire_s`` has passed (a firing lost with a crash or a
rebalance), and a duplicate firing is a no-op in the engine (its event id derives from the timer id).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from streams.definitions import DefinitionFeed
from streams.engine import ContactState, CronError, next_fire
from streams.engine import event_types as et
from streams.keys import STATE_PREFIX, TIMER_PREFIX, schedule_key, timer_due, timers_due_until
from streams.sink import OutRecord
from streams.statecodec import StateFormatError, decode_state
from streams.store import PartitionStore
from workflows.wire import envelope

log = logging.getLogger(__name__)

# Bounded catch-up: a cron missed for a long downtime enrols once, for its latest fire time.
_MAX_CATCH_UP = 100_000


def pack(topic: str, partition: int, envelopes: list[dict[str, Any]], per_record: int) -> list[OutRecord]:
    """Envelopes of one partition as batch records (``workflows.wire``), keyed by the first contact."""
    return [
        OutRecord(
            topic,
            partition,
            str(chunk[0]["contactId"]).encode(),
            orjson.dumps(chunk),
        )
        for chunk in (envelopes[i : i + per_record] for i in range(0, len(envelopes), per_record))
    ]


@dataclass(slots=True)
class PumpResult:
    records: list[OutRecord] = field(default_factory=list)
    fired: int = 0
    due: int = 0
    max_overdue_ms: int = 0
    schedule_changes: dict[int, dict[bytes, bytes | None]] = field(default_factory=dict)


class TimerPump:
    def __init__(
        self,
        store: PartitionStore,
        feed: DefinitionFeed,
        *,
        events_topic: str,
        refire_s: float,
        fire_limit: int,
        per_record: int,
    ) -> None:
        self.store = store
        self.feed = feed
        self.events_topic = events_topic
        self.refire_s = refire_s
        self.fire_limit = fire_limit
        self.per_record = per_record
        self._fired: dict[int, dict[bytes, float]] = {}

    def forget(self, partitions: Iterable[int]) -> None:
        for partition in partitions:
            self._fired.pop(partition, None)

    def tick(self, partitions: Iterable[int], *, now: int, mono: float) -> PumpResult:
        result = PumpResult()
        owned = set(partitions)
        for gone in set(self._fired) - owned:
            del self._fired[gone]
        for partition in sorted(owned):
            self._fire_due(result, partition, now, mono)
        self._enrol_schedules(result, owned, now)
        return result

    def _fire_due(self, result: PumpResult, partition: int, now: int, mono: float) -> None:
        previous = self._fired.get(partition, {})
        # Only keys still present stay remembered: the worker deleted the others when it applied them.
        seen: dict[bytes, float] = {}
        envelopes: list[dict[str, Any]] = []
        for key, value in self.store.scan(partition, TIMER_PREFIX, timers_due_until(now)):
            if not seen and not envelopes:  # the first key is the oldest due one
                result.max_overdue_ms = max(result.max_overdue_ms, now - timer_due(key))
            result.due += 1
            fired_at = previous.get(key)
            if fired_at is not None and mono - fired_at < self.refire_s:
                seen[key] = fired_at
                continue
            if len(envelopes) >= self.fire_limit:
                break
            timer = orjson.loads(value)
            envelopes.append(
                envelope(
                    et.TIMER_FIRED,
                    event_id=f"timer:{timer['timerId']}",
                    tenant_id=timer["tenantId"],
                    contact_id=timer["contactId"],
                    occurred_at_ms=timer["dueAt"],
                    data={
                        "runId": timer["runId"],
                        "timerId": timer["timerId"],
                        "kind": timer["kind"],
                        "dueAt": timer["dueAt"],
                    },
                )
            )
            seen[key] = mono
        self._fired[partition] = seen
        result.fired += len(envelopes)
        result.records.extend(pack(self.events_topic, partition, envelopes, self.per_record))

    def _enrol_schedules(self, result: PumpResult, partitions: set[int], now: int) -> None:
        for plan in self.feed.schedule_plans():
            trigger = plan.trigger_data
            expression = trigger.get("cron")
            timezone = trigger.get("timezone") or "UTC"
            audience = trigger.get("audience")
            segment = audience.get("segmentId") if isinstance(audience, dict) else trigger.get("segmentId")
            if not isinstance(expression, str):
                continue
            key = schedule_key(plan.workflow_id)
            for partition in sorted(partitions):
                stored = self.store.get(partition, key)
                last = orjson.loads(stored).get("lastFireAt") if stored is not None else None
                if not isinstance(last, int):
                    # First sight of this schedule on this partition: start from now, never backfill.
                    result.schedule_changes.setdefault(partition, {})[key] = orjson.dumps({"lastFireAt": now})
                    continue
                fire = _latest_fire(expression, timezone, last, now)
                if fire is None:
                    continue
                envelopes = [
                    envelope(
                        et.SCHEDULE_TICK,
                        event_id=f"schedule:{plan.workflow_id}:{plan.version}:{fire}",
                        tenant_id=state.tenant_id,
                        contact_id=state.contact_id,
                        occurred_at_ms=fire,
                        data={"workflowId": plan.workflow_id, "version": plan.version},
                    )
                    for state in self._members(partition, plan.tenant_id, segment)
                ]
                result.records.extend(pack(self.events_topic, partition, envelopes, self.per_record))
                result.schedule_changes.setdefault(partition, {})[key] = orjson.dumps({"lastFireAt": fire})

    def _members(self, partition: int, tenant_id: str, segment: Any) -> Iterable[ContactState]:
        # State keys of one tenant are contiguous: scan only that range (``|`` + 1 is ``}``).
        tenant_prefix = STATE_PREFIX + f"{tenant_id}|".encode()
        for key, value in self.store.scan(partition, tenant_prefix, tenant_prefix[:-1] + b"}"):
            try:
                state = decode_state(value)
            except StateFormatError as exc:  # one bad record never stops a schedule's other members
                log.warning(
                    "unreadable state skipped by a schedule", extra={"key": key[:200], "error": str(exc)}
                )
                continue
            segments = state.profile.get("segments")
            if isinstance(segments, list) and segment in segments:
                yield state


def _latest_fire(expression: str, timezone: str, last: int, now: int) -> int | None:
    """The latest fire time in ``(last, now]``, or None."""
    try:
        fire = next_fire(expression, timezone, last)
        if fire is None or fire > now:
            return None
        for _ in range(_MAX_CATCH_UP):
            following = next_fire(expression, timezone, fire)
            if following is None or following > now:
                break
            fire = following
    except CronError:
        return None
    return fire
