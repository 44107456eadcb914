"""Pending HTTP actions as store keys, erasure tombstones and the record budget, on the in-memory twins."""

from __future__ import annotations

from typing import Any

import orjson

from streams.actions import decode_action, encode_action, pending_actions
from streams.engine import CallWebhook, SendSlack
from streams.engine import event_types as et
from streams.keys import ACTION_PREFIX, prefix_end, state_key
from streams.processor import DLQ_REASON_HEADER, Processor
from streams.store import MemoryPartitionStore
from tests.unit.engine.helpers import workflow
from tests.unit.streams.builders import (
    DLQ,
    EVENTS,
    OUT,
    OUT_PARTITIONS,
    OVERDUE_MS,
    PARTITIONS,
    T0,
    TENANT,
    apply,
    contact_on,
    envelope,
    feed_with,
    header,
    load_state,
    node,
    record,
)

HOOK = "https://93.184.216.34/hook"
BUDGET = 900 * 1024


def two_webhooks() -> dict[str, Any]:
    return workflow(
        [
            node("h1", "webhook", url=HOOK, headers={"Authorization": "Bearer x"}),
            node("h2", "webhook", url=HOOK),
            node("d", "delay", duration=1, unit="hours"),  # the run waits with both responses kept
            node("m", "send_email", templateId="tpl-1"),
        ]
    )


def proc(store: MemoryPartitionStore, definition: dict[str, Any], budget: int = BUDGET) -> Processor:
    return Processor(
        store,
        feed_with(definition).index,
        source_topic=EVENTS,
        out_topic=OUT,
        dlq_topic=DLQ,
        partitions=PARTITIONS,
        out_partitions=OUT_PARTITIONS,
        stale_overdue_ms=OVERDUE_MS,
        max_record_bytes=budget,
    )


def action_keys(store: MemoryPartitionStore, partition: int) -> list[str]:
    return [k for k, _v in pending_actions(store, [partition])]


def completed(action: CallWebhook | SendSlack, body: Any, event_id: str) -> dict[str, Any]:
    return envelope(
        event_id,
        et.ACTION_COMPLETED,
        action.contact_id,
        {
            "runId": action.run_id,
            "nodeId": action.node_id,
            "idempotencyKey": action.idempotency_key,
            "output": {"status": 200, "body": body, "truncated": False, "durationMs": 5},
        },
    )


def test_an_action_is_a_store_key_from_its_emission_to_its_result() -> None:
    store, contact = MemoryPartitionStore(), contact_on(1)
    p = proc(store, two_webhooks())
    first = p.process([record(1, 0, envelope("e1", "contact.created", contact))], now=T0)
    apply(store, first)
    [a1] = first.actions
    assert action_keys(store, 1) == [a1.idempotency_key]
    [(_key, stored)] = list(store.scan(1, ACTION_PREFIX, prefix_end(ACTION_PREFIX)))
    assert decode_action(stored) == a1  # what a restarted worker calls is the emitted effect

    second = p.process([record(1, 1, completed(a1, {"ok": 1}, "r1"))], now=T0 + 10)
    apply(store, second)
    [a2] = second.actions
    assert action_keys(store, 1) == [a2.idempotency_key]  # the first deleted, the second written

    third = p.process([record(1, 2, completed(a2, {"ok": 2}, "r2"))], now=T0 + 20)
    apply(store, third)
    assert third.actions == []
    assert action_keys(store, 1) == []


def test_a_replayed_unit_writes_the_same_key_and_offers_the_same_action() -> None:
    store, contact = MemoryPartitionStore(), contact_on(2)
    p = proc(store, two_webhooks())
    unit = [record(2, 0, envelope("e1", "contact.created", contact))]
    once = p.process(unit, now=T0)
    again = p.process(unit, now=T0)  # nothing applied yet: a crash before the write batch
    assert once.actions == again.actions
    assert once.timer_changes == again.timer_changes


def test_an_erase_request_tombstones_the_state_and_drops_its_pending_actions() -> None:
    store, contact = MemoryPartitionStore(), contact_on(1)
    p = proc(store, two_webhooks())
    apply(store, p.process([record(1, 0, envelope("e1", "contact.created", contact))], now=T0))
    assert action_keys(store, 1)
    assert load_state(store, 1, contact) is not None

    erased = p.process([record(1, 1, envelope("x1", et.CONTACT_ERASE_REQUESTED, contact))], now=T0 + 5)
    assert erased.state_changes[1][state_key(TENANT, contact)] is None  # a tombstone in the changelog
    apply(store, erased)
    assert load_state(store, 1, contact) is None
    assert action_keys(store, 1) == []
    assert list(store.scan(1, b"T|", b"T}")) == []  # the run's action_timeout timer is cancelled too
    assert [orjson.loads(o.value or b"{}").get("subject") for o in erased.outputs][-1] == et.CONTACT_ERASED


def test_two_600_kb_responses_leave_the_state_under_budget_and_the_run_moving() -> None:
    store, contact = MemoryPartitionStore(), contact_on(3)
    p = proc(store, two_webhooks())
    big = {"blob": "x" * 600 * 1024}
    unit = p.process([record(3, 0, envelope("e1", "contact.created", contact))], now=T0)
    apply(store, unit)
    for i in range(2):
        [action] = unit.actions
        unit = p.process([record(3, 1 + i, completed(action, big, f"r{i}"))], now=T0 + 10 + i)
        assert unit.dead == 0
        for value in unit.state_changes[3].values():
            assert value is None or len(value) <= BUDGET
        for out in unit.outputs:
            assert len(out.value or b"") <= BUDGET
        apply(store, unit)
    state = load_state(store, 3, contact)
    assert state is not None
    assert len(orjson.dumps(state.to_dict())) <= BUDGET
    [run] = state.runs.values()
    assert (run.current_node_id, run.wait_timer_id is not None) == ("d", True)  # moved on, waits
    assert "workflow.run.failed" not in [orjson.loads(o.value or b"{}").get("subject") for o in unit.outputs]


def test_an_event_whose_state_cannot_fit_is_dead_lettered_and_the_previous_state_kept() -> None:
    store, contact, other = MemoryPartitionStore(), *[c for c in (contact_on(1), "c-other")]
    p = proc(store, two_webhooks(), budget=16 * 1024)
    big_profile = {"contact": {"attributes": {"bio": "y" * 40 * 1024}}}
    ok = envelope("e0", "contact.updated", contact, {"changes": {"attributes": {"a": 1}}})
    apply(store, p.process([record(1, 0, ok)], now=T0))
    before = store.get(1, state_key(TENANT, contact))
    huge = envelope("e1", "contact.updated", contact, {"changes": {"attributes": big_profile}})
    unit = p.process([record(1, 1, huge)], now=T0 + 1)
    assert unit.dead == 1
    [dead] = unit.outputs
    assert dead.topic == DLQ
    assert (header(dead, DLQ_REASON_HEADER) or b"").startswith(b"contact state too large")
    apply(store, unit)
    assert store.get(1, state_key(TENANT, contact)) == before
    assert other  # the unit's other records are the processor tests' business


def test_effect_encoding_round_trips() -> None:
    slack = SendSlack(TENANT, "c1", "r", "s", "r:s:1", None, "#ops", "hi", [{"type": "x"}], 5_000)
    hook = CallWebhook(TENANT, "c1", "r", "h", "r:h:1", HOOK, "PUT", {"a": "b"}, {"k": [1]}, 2_000)
    assert decode_action(encode_action(slack)) == slack
    assert decode_action(encode_action(hook)) == hook
