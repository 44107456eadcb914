"""workflows.out packs: a unit's outputs leave as one record per partition (a JSON array of outputs, in
order, within the record budget), and every reader gets back the same outputs, subjects and keys."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from aiokafka.structs import ConsumerRecord

from api.projector.consumer import decode_records
from streams.commit import CommitUnit
from streams.metrics import Metrics
from streams.processor import Processor
from streams.sink import PACK_BYTES, MemorySink, OutRecord, packed
from streams.store import MemoryPartitionStore
from tests.unit.streams.builders import (
    DLQ,
    OUT,
    PARTITIONS,
    T0,
    contacts_on,
    delay_workflow,
    envelope,
    feed_with,
    header,
    idempotency_keys,
    processor,
    record,
    subjects,
)
from workflows.wire import PackError, encode_pack, out_items, pack_outputs

CREATED = "contact.created"
WORKFLOW = "6b0e5cbe-7c1f-4d43-9a55-3c1c2f5f0e2a"


def _unit(proc: Processor, sink: MemorySink, store: MemoryPartitionStore) -> CommitUnit:
    return CommitUnit(sink, store, proc, changelog_topic="contacts-changelog", metrics=Metrics())


def test_a_units_outputs_leave_as_one_pack_per_partition_that_reads_back_as_the_same_outputs() -> None:
    store = MemoryPartitionStore()
    proc = processor(store, feed_with(delay_workflow()))
    sink = MemorySink(PARTITIONS)
    contacts = {p: contacts_on(p, 3) for p in (1, 3)}
    records = [
        record(p, 10 + i, envelope(f"e-{c}", CREATED, c)) for p in contacts for i, c in enumerate(contacts[p])
    ]
    result = asyncio.run(_unit(proc, sink, store).run(records))

    out = [r for r in sink.records if r.topic == OUT]
    assert len(result.outputs) == 6 * 4  # 4 outputs per run start, each contact starts one
    assert sorted(r.partition for r in out) == sorted({o.partition for o in result.outputs})  # one each
    for pack in out:
        assert (pack.key, pack.headers) == (None, [])
        logical = [o for o in result.outputs if o.partition == pack.partition]
        items = out_items(pack.value, pack.headers)
        assert [i.value for i in items] == [o.value for o in logical]  # the same bytes, in order
        assert [i.subject for i in items] == subjects(logical)
        assert [i.idempotency_key for i in items] == idempotency_keys(logical)
        assert all(i.subject and i.idempotency_key for i in items)
        assert [i.index for i in items] == list(range(len(logical)))


def test_packs_stay_within_their_size_and_an_output_too_large_to_share_is_a_pack_of_its_own() -> None:
    values = [orjson.dumps({"n": i, "pad": "x" * 90}) for i in range(10)]
    big = orjson.dumps({"n": 10, "pad": "x" * (PACK_BYTES + 10)})
    outputs = [OutRecord(OUT, 0, b"c", value) for value in values]
    dead = OutRecord(DLQ, 0, b"c", b"bad", [("dlq-reason", b"why")])
    budget = 3 * len(values[0]) + 4  # three outputs, two commas and the brackets
    records = packed([*outputs[:7], dead, *outputs[7:]], out_topic=OUT, max_bytes=budget)
    on_out = [r for r in records if r.topic == OUT]
    assert [len(r.value or b"") <= budget for r in on_out] == [True] * 4
    assert [len(out_items(r.value, r.headers)) for r in on_out] == [3, 3, 3, 1]
    assert dead in records  # dead letters as they are
    flat = [i.value for r in on_out for i in out_items(r.value, r.headers)]
    assert flat == values

    records = packed(
        [outputs[0], OutRecord(OUT, 0, b"c", big), outputs[1]], out_topic=OUT, max_bytes=900 * 1024
    )
    assert [[i.value for i in out_items(r.value, r.headers)] for r in records] == [
        [values[0]],
        [big],
        [values[1]],
    ]


def test_an_output_a_pack_of_one_cannot_hold_within_the_budget_is_dead_lettered() -> None:
    store = MemoryPartitionStore()
    proc = processor(store, feed_with(delay_workflow()))
    [contact] = contacts_on(1)
    fits = proc.process([record(1, 1, envelope("e1", CREATED, contact))], now=T0)
    largest = max(len(o.value or b"") for o in fits.outputs)
    store = MemoryPartitionStore()
    proc = processor(store, feed_with(delay_workflow()))
    proc.max_record_bytes = largest + 1  # the output fits, its pack of one (two brackets more) does not
    result = proc.process([record(1, 1, envelope("e1", CREATED, contact))], now=T0)
    assert [o.topic for o in result.outputs] == [DLQ]
    assert b"output record too large" in (header(result.outputs[0], "dlq-reason") or b"")


def test_pack_outputs_keeps_order_and_puts_a_value_too_large_to_share_in_a_group_of_its_own() -> None:
    values = [b"aaaa", b"bb", b"c" * 20, b"d", b"e"]
    groups = pack_outputs(values, 10)
    assert groups == [[b"aaaa", b"bb"], [b"c" * 20], [b"d", b"e"]]
    assert all(len(encode_pack(g)) <= 10 for g in groups if len(g) > 1)


def test_out_items_reads_a_single_output_by_its_headers_and_refuses_a_broken_pack() -> None:
    [single] = out_items(b'{"subject":"ignored"}', [("subject", b"s.one"), ("idempotency-key", b"k1")])
    assert (single.index, single.subject, single.idempotency_key, single.packed) == (0, "s.one", "k1", False)
    [bare] = out_items(b'{"x":1}', [])
    assert (bare.subject, bare.idempotency_key) == (None, None)
    items = out_items(b'[{"subject":"a","idempotencyKey":"k"}, 3, {"subject": 5}]', [])
    assert [(i.subject, i.idempotency_key, i.value) for i in items] == [
        ("a", "k", b'{"subject":"a","idempotencyKey":"k"}'),
        (None, None, b"3"),  # not an object: names nothing (its reader refuses it)
        (None, None, b'{"subject": 5}'),
    ]
    assert all(i.packed for i in items)
    with pytest.raises(PackError):
        out_items(b'[{"subject":"a"', [])


def _consumer_record(offset: int, value: bytes, headers: list[tuple[str, bytes]]) -> Any:
    return ConsumerRecord(OUT, 2, offset, T0, 0, None, value, None, 0, len(value), tuple(headers))


def test_the_projector_reads_each_output_of_a_pack_and_dead_letters_a_broken_one_with_its_place() -> None:
    store = MemoryPartitionStore()
    proc = processor(store, feed_with(delay_workflow(WORKFLOW)))  # the read model's ids are uuids
    [contact] = contacts_on(2)
    result = proc.process([record(2, 1, envelope("e1", CREATED, contact))], now=T0)
    values = [o.value or b"" for o in result.outputs]
    broken = b'{"kind":"run_event","tenantId":"t","contactId":"c","runId":"not-a-uuid","run":{}}'
    records = [
        _consumer_record(7, encode_pack([values[0], broken, *values[1:]]), []),
        _consumer_record(8, b"[{", []),
    ]
    events, dead = decode_records(records)
    headers = [("subject", b"workflow.run.started"), ("idempotency-key", b"k")]
    single, _ = decode_records([_consumer_record(9, values[0], headers)])  # as earlier releases wrote it
    # The run events of the pack (not the message to send: the projector does not store it), in order.
    assert len(events) == 3
    assert all(output.offset == 7 for output, _ in events)
    assert events[0][1] == single[0][1]  # an output reads the same packed or alone
    assert [(d.offset, d.kind) for d in dead] == [(7, "undecodable"), (8, "undecodable")]
    assert dead[0].value == broken  # the output itself, not the whole pack
    assert dead[0].reason.startswith("item 1 of a pack: ")
    assert dead[1].value == b"[{"
    assert "pack" in dead[1].reason
