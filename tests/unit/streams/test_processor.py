"""Processor: one commit unit through the engine on the in-memory store (outputs, changes, DLQ, timers)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import orjson
import pytest

from streams.engine import run_id_for
from streams.keys import TIMER_PREFIX, prefix_end, state_key, timer_key
from streams.processor import InRecord
from streams.statecodec import decode_state
from streams.store import MemoryPartitionStore
from tests.unit.streams.builders import (
    DELAY_MS,
    DLQ,
    EVENTS,
    OUT,
    OUT_PARTITIONS,
    T0,
    TENANT,
    apply,
    contact_on,
    contacts_on,
    delay_workflow,
    envelope,
    feed_with,
    header,
    idempotency_keys,
    load_state,
    processor,
    record,
    subjects,
)
from tests.unit.streams.runlog_decoded import log_unit
from workflows.wire import partition_for

CREATED = "contact.created"
STARTED_OUTPUTS = [
    "workflow.run.started",
    "pipeline.message.send",
    "workflow.node.executed",
    "workflow.node.executed",
]


def test_a_triggering_event_emits_the_run_and_writes_state_and_timer_on_its_partition() -> None:
    store = MemoryPartitionStore()
    p = 2
    contact = contact_on(p)
    result = processor(store, feed_with(delay_workflow())).process(
        [record(p, 10, envelope("e1", CREATED, contact))], now=T0
    )

    run_id = run_id_for(TENANT, "wf1", contact, "e1")
    assert subjects(result.outputs) == STARTED_OUTPUTS
    for out in result.outputs:
        assert (out.topic, out.partition, out.key) == (
            OUT,
            partition_for(contact, OUT_PARTITIONS),
            contact.encode(),
        )
        value = orjson.loads(out.value or b"")
        assert value["runId"] == run_id
        assert out.headers == []  # the output names its subject and key itself: it leaves in a pack
    keys = idempotency_keys(result.outputs)
    assert keys[0] == f"{run_id}:run.started"
    assert len(set(keys)) == len(keys)
    steps = [orjson.loads(o.value or b"")["step"] for o in result.outputs[2:]]
    assert [(s["nodeId"], s["status"]) for s in steps] == [("a", "completed"), ("d", "pending")]
    assert result.run_events == {"started": 1}
    assert (result.events, result.dead, result.actions) == (1, 0, [])

    assert result.partitions() == {p}
    stored = result.state_changes[p][state_key(TENANT, contact)]
    assert stored is not None
    state = decode_state(stored)
    run = state.runs[run_id]
    assert (run.current_node_id, run.wait_kind, run.wait_due_at) == ("d", "delay", T0 + DELAY_MS)
    assert run.wait_timer_id is not None
    tkey = timer_key(T0 + DELAY_MS, TENANT, contact, run.wait_timer_id)
    assert list(result.timer_changes[p]) == [tkey]
    assert orjson.loads(result.timer_changes[p][tkey] or b"") == {
        "tenantId": TENANT,
        "contactId": contact,
        "runId": run_id,
        "timerId": run.wait_timer_id,
        "kind": "delay",
        "dueAt": T0 + DELAY_MS,
    }
    assert list(result.changes(p)) == [tkey, state_key(TENANT, contact)]  # timers before state


def test_records_processed_again_after_their_changes_are_applied_emit_nothing() -> None:
    store = MemoryPartitionStore()
    proc = processor(store, feed_with(delay_workflow()))
    a, b = contact_on(0), contact_on(3)
    unit = [record(0, 1, envelope("e1", CREATED, a)), record(3, 1, envelope("e2", CREATED, b))]

    first = proc.process(unit, now=T0)
    assert subjects(first.outputs) == STARTED_OUTPUTS * 2
    assert first.partitions() == {0, 3}
    apply(store, first)

    again = proc.process(unit, now=T0 + 1_000)
    assert again.outputs == []
    assert again.state_changes == {}
    assert again.timer_changes == {}
    assert again.events == 2


def test_a_record_repeated_within_one_unit_is_applied_once() -> None:
    store = MemoryPartitionStore()
    contact = contact_on(1)
    same = record(1, 4, envelope("e1", CREATED, contact))
    result = processor(store, feed_with(delay_workflow())).process([same, same], now=T0)
    assert subjects(result.outputs) == STARTED_OUTPUTS
    assert result.run_events == {"started": 1}


BadRecord = Callable[[MemoryPartitionStore, int, int], InRecord]


def _undecodable(store: MemoryPartitionStore, p: int, offset: int) -> InRecord:
    return InRecord(p, offset, b"k", b"{not json", [("origin", b"test")])


def _empty(store: MemoryPartitionStore, p: int, offset: int) -> InRecord:
    return InRecord(p, offset, b"k", None, [("origin", b"test")])


def _invalid_envelope(store: MemoryPartitionStore, p: int, offset: int) -> InRecord:
    bad = envelope("e-bad", CREATED, contact_on(p))
    del bad["contactId"]
    return record(p, offset, bad, key=b"k")


def _wrong_partition(store: MemoryPartitionStore, p: int, offset: int) -> InRecord:
    return record(p, offset, envelope("e-bad", CREATED, contact_on((p + 1) % 4)))


def _corrupt_state(store: MemoryPartitionStore, p: int, offset: int) -> InRecord:
    victim = contacts_on(p, 3)[2]
    store.write(p, {state_key(TENANT, victim): b"[]"}, None)
    return record(p, offset, envelope("e-bad", CREATED, victim))


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (_undecodable, "undecodable record: "),
        (_empty, "empty record value"),
        (_invalid_envelope, "invalid event: event field 'contactId' must be a non-empty string"),
        (_wrong_partition, "contact 'c-"),
        (_corrupt_state, "processing raised StateFormatError: "),
    ],
    ids=["undecodable", "empty", "invalid-envelope", "wrong-partition", "corrupt-state"],
)
def test_a_bad_record_goes_to_the_dlq_and_its_neighbours_are_applied(bad: BadRecord, reason: str) -> None:
    store = MemoryPartitionStore()
    p = 1
    before, after = contacts_on(p, 2)
    bad_record = bad(store, p, 21)
    unit = [
        record(p, 20, envelope("e1", CREATED, before)),
        bad_record,
        record(p, 22, envelope("e2", CREATED, after)),
    ]

    result = processor(store, feed_with(delay_workflow())).process(unit, now=T0)

    dead = [o for o in result.outputs if o.topic == DLQ]
    assert result.dead == len(dead) == 1
    assert (header(dead[0], "dlq-reason") or b"").decode().startswith(reason)
    assert header(dead[0], "dlq-source") == f"{EVENTS}:{p}:21".encode()
    assert header(dead[0], "origin") == b"test"  # the original headers travel with it
    if bad is _undecodable:
        assert dead[0].value == b"{not json"
    elif bad is not _empty:
        assert orjson.loads(dead[0].value or b"")["id"] == "e-bad"
    assert subjects([o for o in result.outputs if o.topic == OUT]) == STARTED_OUTPUTS * 2
    changed = set(result.state_changes[p])
    assert {state_key(TENANT, before), state_key(TENANT, after)} <= changed
    assert result.run_events == {"started": 2}


def test_one_bad_envelope_in_a_batch_does_not_stop_the_others() -> None:
    p = 3
    good, other = contacts_on(p, 2)
    bad = envelope("e-bad", CREATED, good, at=T0)
    bad["occurredAt"] = "yesterday"
    unit = [record(p, 5, bad, envelope("e1", CREATED, good), envelope("e2", CREATED, other))]
    result = processor(MemoryPartitionStore(), feed_with(delay_workflow())).process(unit, now=T0)
    assert result.events == 3
    assert result.dead == 1
    assert (header(result.outputs[0], "dlq-reason") or b"").startswith(
        b"invalid event: event field 'occurredAt'"
    )
    assert set(result.state_changes[p]) == {state_key(TENANT, good), state_key(TENANT, other)}


def test_timer_fired_deletes_its_timer_key_and_resumes_the_run() -> None:
    store = MemoryPartitionStore()
    proc = processor(store, feed_with(delay_workflow()))
    p = 0
    contact = contact_on(p)
    apply(store, proc.process([record(p, 1, envelope("e1", CREATED, contact))], now=T0))
    [(tkey, raw)] = list(store.scan(p, TIMER_PREFIX, prefix_end(TIMER_PREFIX)))
    timer = orjson.loads(raw)
    data = {k: timer[k] for k in ("runId", "timerId", "kind", "dueAt")}
    fired = envelope(f"timer:{timer['timerId']}", "workflow.timer.fired", contact, data)

    result = proc.process([record(p, 2, fired)], now=T0 + DELAY_MS + 250)

    assert result.timer_changes == {p: {tkey: None}}
    assert subjects(result.outputs) == ["workflow.node.executed", "workflow.run.completed"]
    assert result.run_events == {"completed": 1}
    assert result.timer_lateness_ms == [250]
    apply(store, result)
    assert list(store.scan(p, TIMER_PREFIX, prefix_end(TIMER_PREFIX))) == []
    state = load_state(store, p, contact)
    assert state is not None
    assert state.runs == {}
    assert state.finished["wf1"].status == "completed"


def test_a_late_firing_of_a_timer_nobody_waits_on_still_deletes_the_key() -> None:
    store = MemoryPartitionStore()
    p = 2
    contact = contact_on(p)
    tkey = timer_key(T0, TENANT, contact, "gone:delay")
    store.write(p, {tkey: b"{}"}, None)
    data = {"runId": "no-such-run", "timerId": "gone:delay", "kind": "delay", "dueAt": T0}
    result = processor(store, feed_with(delay_workflow())).process(
        [record(p, 9, envelope("timer:gone:delay", "workflow.timer.fired", contact, data))], now=T0 + 5
    )
    assert result.outputs == []
    assert result.timer_changes == {p: {tkey: None}}


def test_a_misrouted_record_does_not_dead_letter_the_contacts_correct_record() -> None:
    p = 0
    contact = contact_on(p)
    unit = [
        record(1, 5, envelope("e-misrouted", CREATED, contact)),
        record(p, 7, envelope("e-ok", CREATED, contact)),
    ]
    result = processor(MemoryPartitionStore(), feed_with(delay_workflow())).process(unit, now=T0)
    assert result.dead == 1
    assert result.partitions() == {p}


def test_a_misrouted_record_after_a_correct_one_is_dead_lettered() -> None:
    p = 0
    contact = contact_on(p)
    unit = [
        record(p, 7, envelope("e-ok", CREATED, contact)),
        record(1, 5, envelope("e-misrouted", "contact.updated", contact)),
    ]
    result = processor(MemoryPartitionStore(), feed_with(delay_workflow())).process(unit, now=T0)
    assert result.dead == 1
    assert result.partitions() == {p}


def test_a_units_run_log_lines_are_those_of_its_outputs_and_only_when_the_log_is_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = MemoryPartitionStore()
    p = 2
    contact = contact_on(p)
    records = [record(p, 10, envelope("e1", CREATED, contact))]
    caplog.set_level(logging.WARNING, logger="streams.runs")
    assert processor(store, feed_with(delay_workflow())).process(records, now=T0).run_lines == []
    caplog.set_level(logging.INFO, logger="streams.runs")
    result = processor(store, feed_with(delay_workflow())).process(records, now=T0)
    caplog.clear()
    log_unit(result.outputs, OUT)  # the lines decoded from the records' bytes
    [decoded] = caplog.records
    assert result.run_lines == decoded.lines
    assert [line["msg"] for line in result.run_lines] == [
        "[RUN] workflow run started",
        "[NODE] node executed",
    ]
