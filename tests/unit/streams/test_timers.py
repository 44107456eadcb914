"""TimerPump: due timers fired per owned partition, refire window, fire limit, and schedule enrolment."""

from __future__ import annotations

from typing import Any

import orjson

from streams.definitions import DefinitionFeed
from streams.keys import TIMER_PREFIX, prefix_end, schedule_key, state_key, timer_key
from streams.sink import OutRecord
from streams.store import MemoryPartitionStore
from streams.timers import TimerPump
from tests.unit.engine.helpers import DAY, HOUR
from tests.unit.streams.builders import (
    DELAY_MS,
    EVENTS,
    T0,
    TENANT,
    apply,
    as_in_records,
    contact_on,
    contacts_on,
    delay_workflow,
    envelope,
    feed_with,
    member,
    processor,
    put_state,
    record,
    schedule_workflow,
    subjects,
)
from workflows.wire import format_instant as iso

REFIRE_S = 30.0


def pump(store: MemoryPartitionStore, feed: DefinitionFeed | None = None, **kw: Any) -> TimerPump:
    options: dict[str, Any] = {"refire_s": REFIRE_S, "fire_limit": 1_000, "per_record": 500, **kw}
    return TimerPump(store, feed or DefinitionFeed(), events_topic=EVENTS, **options)


def put_timer(store: MemoryPartitionStore, partition: int, due: int, contact: str, timer_id: str) -> None:
    value: dict[str, Any] = {"tenantId": TENANT, "contactId": contact, "runId": f"run-{timer_id}"}
    value["timerId"] = timer_id
    value |= {"kind": "delay", "dueAt": due}
    store.write(partition, {timer_key(due, TENANT, contact, timer_id): orjson.dumps(value)}, None)


def envelopes(records: list[OutRecord]) -> list[dict[str, Any]]:
    return [e for r in records for e in orjson.loads(r.value or b"")]


def fired_ids(records: list[OutRecord]) -> list[str]:
    return [e["id"] for e in envelopes(records)]


def test_due_timers_of_owned_partitions_fire_into_the_same_partition() -> None:
    store = MemoryPartitionStore()
    c0, c1, c2 = contact_on(0), contact_on(1), contact_on(2)
    put_timer(store, 0, T0 - 1_000, c0, "old")
    put_timer(store, 0, T0, c0, "now")  # due exactly now: due
    put_timer(store, 0, T0 + 1, c0, "future")
    put_timer(store, 1, T0 - 10, c1, "other")
    put_timer(store, 2, T0 - 5, c2, "not-owned")

    result = pump(store).tick({0, 1}, now=T0, mono=0.0)

    assert [(r.topic, r.partition) for r in result.records] == [(EVENTS, 0), (EVENTS, 1)]
    assert [r.key for r in result.records] == [c0.encode(), c1.encode()]
    assert fired_ids(result.records) == ["timer:old", "timer:now", "timer:other"]
    first = envelopes(result.records)[0]
    assert first == {
        "id": "timer:old",
        "type": "workflow.timer.fired",
        "tenantId": TENANT,
        "contactId": c0,
        "occurredAt": iso(T0 - 1_000),
        "data": {"runId": "run-old", "timerId": "old", "kind": "delay", "dueAt": T0 - 1_000},
    }
    assert (result.fired, result.due, result.max_overdue_ms) == (3, 3, 1_000)


def test_a_fired_but_unconsumed_timer_fires_again_only_after_refire_s() -> None:
    store = MemoryPartitionStore()
    c = contact_on(0)
    put_timer(store, 0, T0 - 1, c, "t1")
    p = pump(store)

    assert fired_ids(p.tick({0}, now=T0, mono=100.0).records) == ["timer:t1"]
    put_timer(store, 0, T0, c, "t2")  # a newer timer is not held back by the older one
    held = p.tick({0}, now=T0 + 500, mono=100.0 + REFIRE_S - 0.01)
    assert fired_ids(held.records) == ["timer:t2"]
    assert (held.fired, held.due) == (1, 2)
    refired = p.tick({0}, now=T0 + 900, mono=100.0 + REFIRE_S)
    assert fired_ids(refired.records) == ["timer:t1"]


def test_a_consumed_timer_is_not_fired_again() -> None:
    store = MemoryPartitionStore()
    c = contact_on(3)
    put_timer(store, 3, T0 - 1, c, "t1")
    p = pump(store)
    assert p.tick({3}, now=T0, mono=0.0).fired == 1
    store.write(3, dict.fromkeys(k for k, _ in store.scan(3, TIMER_PREFIX, prefix_end(TIMER_PREFIX))), None)
    later = p.tick({3}, now=T0 + 60_000, mono=REFIRE_S * 10)
    assert (later.records, later.fired, later.due) == ([], 0, 0)


def test_the_fire_limit_bounds_each_tick_oldest_first() -> None:
    store = MemoryPartitionStore()
    c = contact_on(1)
    for i in range(5):
        put_timer(store, 1, T0 - 100 + i, c, f"t{i}")
    p = pump(store, fire_limit=2)
    ticks = [fired_ids(p.tick({1}, now=T0, mono=float(i)).records) for i in range(4)]
    assert ticks == [["timer:t0", "timer:t1"], ["timer:t2", "timer:t3"], ["timer:t4"], []]


def test_envelopes_are_packed_per_record_keyed_by_their_first_contact() -> None:
    store = MemoryPartitionStore()
    contacts = contacts_on(2, 5)
    for i, c in enumerate(contacts):
        put_timer(store, 2, T0 - 100 + i, c, f"t{i}")
    records = pump(store, per_record=2).tick({2}, now=T0, mono=0.0).records
    assert [len(orjson.loads(r.value or b"")) for r in records] == [2, 2, 1]
    assert [r.key for r in records] == [contacts[0].encode(), contacts[2].encode(), contacts[4].encode()]


def test_a_partition_that_leaves_and_returns_is_fired_again() -> None:
    store = MemoryPartitionStore()
    put_timer(store, 0, T0 - 1, contact_on(0), "t1")
    p = pump(store)
    assert p.tick({0}, now=T0, mono=0.0).fired == 1
    assert p.tick(set(), now=T0, mono=1.0).fired == 0
    assert fired_ids(p.tick({0}, now=T0, mono=2.0).records) == ["timer:t1"]


def test_a_fired_timer_read_back_by_the_processor_resumes_the_run_and_clears_the_key() -> None:
    store = MemoryPartitionStore()
    feed = feed_with(delay_workflow())
    proc, p = processor(store, feed), pump(store, feed)
    c = contact_on(3)
    apply(store, proc.process([record(3, 0, envelope("e1", "contact.created", c))], now=T0))
    assert p.tick({3}, now=T0 + DELAY_MS - 1, mono=0.0).records == []

    fired = p.tick({3}, now=T0 + DELAY_MS, mono=1.0)
    result = proc.process(as_in_records(fired.records), now=T0 + DELAY_MS + 3)
    assert subjects(result.outputs) == ["workflow.node.executed", "workflow.run.completed"]
    apply(store, result)
    assert p.tick({3}, now=T0 + DELAY_MS + 10, mono=2.0).due == 0


# -- schedule triggers ------------------------------------------------------------------------------------

NINE = T0 + 9 * HOUR  # the cron "0 9 * * *" fires at 09:00 UTC


def audience(store: MemoryPartitionStore) -> tuple[str, str]:
    """VIP members on partitions 0 and 1, plus a non-member and another tenant's member on partition 0."""
    vip0, other0 = contacts_on(0, 2)
    vip1 = contact_on(1)
    put_state(store, 0, member(vip0, "vip"))
    put_state(store, 0, member(other0, "newsletter"))
    put_state(store, 0, member(vip0, "vip", tenant="t0"))
    put_state(store, 1, member(vip1, "vip"))
    return vip0, vip1


def test_a_schedule_seen_first_records_now_and_enrols_nobody() -> None:
    store = MemoryPartitionStore()
    audience(store)
    result = pump(store, feed_with(schedule_workflow())).tick({0, 1}, now=NINE + 1, mono=0.0)
    assert result.records == []
    expected = {schedule_key("wf-cron"): orjson.dumps({"lastFireAt": NINE + 1})}
    assert result.schedule_changes == {0: expected, 1: expected}


def test_a_cron_tick_enrols_each_partitions_segment_members_once() -> None:
    store = MemoryPartitionStore()
    vip0, vip1 = audience(store)
    p = pump(store, feed_with(schedule_workflow()))
    for partition in (0, 1):
        store.write(partition, {schedule_key("wf-cron"): orjson.dumps({"lastFireAt": NINE - HOUR})}, None)

    result = p.tick({0, 1}, now=NINE + 30_000, mono=0.0)

    assert [(r.topic, r.partition) for r in result.records] == [(EVENTS, 0), (EVENTS, 1)]
    sent = envelopes(result.records)
    assert [(e["tenantId"], e["contactId"]) for e in sent] == [(TENANT, vip0), (TENANT, vip1)]
    assert sent[0] == {
        "id": f"schedule:wf-cron:1:{NINE}",
        "type": "workflow.schedule.tick",
        "tenantId": TENANT,
        "contactId": vip0,
        "occurredAt": iso(NINE),
        "data": {"workflowId": "wf-cron", "version": 1},
    }
    stored = {schedule_key("wf-cron"): orjson.dumps({"lastFireAt": NINE})}
    assert result.schedule_changes == {0: stored, 1: stored}
    for partition, changes in result.schedule_changes.items():
        store.write(partition, changes, None)

    again = p.tick({0, 1}, now=NINE + 30_250, mono=0.25)  # a second pass within the same cron tick
    assert (again.records, again.schedule_changes) == ([], {})
    tomorrow = p.tick({0}, now=NINE + DAY, mono=1.0)
    assert [e["id"] for e in envelopes(tomorrow.records)] == [f"schedule:wf-cron:1:{NINE + DAY}"]


def test_a_long_missed_schedule_enrols_once_for_its_latest_fire_time() -> None:
    store = MemoryPartitionStore()
    vip0, _ = audience(store)
    store.write(0, {schedule_key("wf-cron"): orjson.dumps({"lastFireAt": NINE - 10 * DAY})}, None)
    result = pump(store, feed_with(schedule_workflow())).tick({0}, now=NINE + 5, mono=0.0)
    assert [(e["id"], e["contactId"]) for e in envelopes(result.records)] == [
        (f"schedule:wf-cron:1:{NINE}", vip0)
    ]


def test_schedule_ticks_start_one_run_per_member_even_when_delivered_twice() -> None:
    store = MemoryPartitionStore()
    vip0, vip1 = audience(store)
    feed = feed_with(schedule_workflow())
    for partition in (0, 1):
        store.write(partition, {schedule_key("wf-cron"): orjson.dumps({"lastFireAt": NINE - 1})}, None)
    ticks = pump(store, feed).tick({0, 1}, now=NINE, mono=0.0).records
    proc = processor(store, feed)

    first = proc.process(as_in_records(ticks), now=NINE + 10)
    started = [o.key for o in first.outputs if subjects([o]) == ["workflow.run.started"]]
    assert started == [vip0.encode(), vip1.encode()]
    apply(store, first)
    assert proc.process(as_in_records(ticks, first_offset=200), now=NINE + 20).outputs == []


def test_an_unreadable_member_state_is_skipped_and_the_others_are_enrolled() -> None:
    store = MemoryPartitionStore()
    vip0, vip1 = audience(store)
    store.write(0, {state_key(TENANT, "broken"): b"\x02\xc1"}, None)  # sorts among the tenant's members
    p = pump(store, feed_with(schedule_workflow()))
    for partition in (0, 1):
        store.write(partition, {schedule_key("wf-cron"): orjson.dumps({"lastFireAt": NINE - HOUR})}, None)

    result = p.tick({0, 1}, now=NINE + 30_000, mono=0.0)

    assert [e["contactId"] for e in envelopes(result.records)] == [vip0, vip1]
