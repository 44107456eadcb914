"""The stored state: version byte + MessagePack of the dataclasses now; the dict MessagePack (version 1) and
the JSON earlier releases wrote are still read."""

from __future__ import annotations

import msgspec
import orjson
import pytest

from streams.engine import ContactState, FinishedRun
from streams.keys import state_key
from streams.statecodec import StateFormatError, decode_state, decode_state_dict, encode_state
from streams.store import MemoryPartitionStore
from tests.unit.streams.builders import (
    DELAY_MS,
    T0,
    TENANT,
    delay_workflow,
    envelope,
    feed_with,
    processor,
    record,
)

# A contact waiting on a delay, exactly as the previous release stored it (orjson of ContactState.to_dict()).
LEGACY = (
    b'{"format":1,"tenantId":"t1","contactId":"c-5","profile":{"email":"a@b.test","attributes":{},"tags":[],'
    b'"segments":[]},"runs":[{"runId":"feb557cf-b417-55af-a168-f26bf87087c3","workflowId":"wf1","version":1,'
    b'"startedAt":1767225600000,"trigger":{"id":"e1","type":"contact.created","occurredAt":'
    b'"2026-01-01T00:00:00.000Z","data":{}},"status":"running","currentNodeId":"d","waitTimerId":'
    b'"feb557cf-b417-55af-a168-f26bf87087c3:d:1:delay","waitDueAt":1767229200000,"waitKind":"delay",'
    b'"waitActionKey":null,"waitStartedAt":1767225600000,"variables":{},"hasOpened":false,"hasClicked":false,'
    b'"visits":{"a":1,"d":1},"goalReachedId":null,"errorMessage":null,"completedAt":null}],"finished":[],'
    b'"applied":["e1"]}'
)
CONTACT = "c-5"  # hashes to partition 1 of the builders' 4
TIMER = "feb557cf-b417-55af-a168-f26bf87087c3:d:1:delay"


# The same contact as version 1 wrote it: 0x01 + MessagePack of the dict form.
VERSION_1 = b"\x01" + msgspec.msgpack.encode(orjson.loads(LEGACY))


def test_a_state_round_trips_with_its_version_byte_and_is_smaller_than_json() -> None:
    state = decode_state(LEGACY)
    encoded = encode_state(state)
    assert encoded[0] == 2
    assert decode_state(encoded) == state
    assert decode_state_dict(encoded) == orjson.loads(LEGACY)
    assert len(encoded) < len(LEGACY)


def test_a_version_1_state_reads_as_the_same_state() -> None:
    assert decode_state(VERSION_1) == decode_state(LEGACY)
    assert decode_state_dict(VERSION_1) == orjson.loads(LEGACY)


def test_every_part_of_a_state_round_trips_typed() -> None:
    state = decode_state(LEGACY)
    state.finished["wf0"] = FinishedRun("r0", "wf0", 3, "completed", 1767225500000)
    state.sends = [["email", 1767225500000], ["sms", 1767225550000]]
    state.profile["attributes"] = {"plan": "pro", "score": 2.5, "nested": {"a": [1, None, "x"]}}
    back = decode_state(encode_state(state))
    assert back == state
    assert isinstance(back, ContactState)
    assert isinstance(back.finished["wf0"], FinishedRun)
    assert list(back.applied) == ["e1"]
    assert back.to_dict() == state.to_dict()


def test_a_timestamp_held_as_an_integral_float_reads_back_as_its_int() -> None:
    state = decode_state(LEGACY)
    run = next(iter(state.runs.values()))
    run.wait_due_at = 1767229200000.0  # type: ignore[assignment]
    back = next(iter(decode_state(encode_state(state)).runs.values()))
    assert back.wait_due_at == 1767229200000
    assert isinstance(back.wait_due_at, int)


@pytest.mark.parametrize("stored", [LEGACY, VERSION_1], ids=["json", "version-1"])
def test_an_older_state_is_read_and_migrated_by_the_next_unit_that_changes_it(stored: bytes) -> None:
    store = MemoryPartitionStore()
    key = state_key(TENANT, CONTACT)
    store.write(1, {key: stored}, None)
    proc = processor(store, feed_with(delay_workflow()))
    fired = envelope(
        f"timer:{TIMER}",
        "workflow.timer.fired",
        CONTACT,
        {"runId": TIMER.split(":")[0], "timerId": TIMER, "kind": "delay", "dueAt": T0 + DELAY_MS},
        at=T0 + DELAY_MS,
    )
    result = proc.process([record(1, 7, fired)], now=T0 + DELAY_MS)
    assert result.dead == 0
    migrated = result.state_changes[1][key]
    assert migrated is not None
    assert migrated[0] == 2
    assert all(run.status != "running" for run in decode_state(migrated).runs)
    subjects = [orjson.loads(o.value or b"{}").get("subject") for o in result.outputs]
    assert "workflow.run.completed" in subjects  # the legacy run resumed where it waited


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x07abc",
        b"\x01\xc1",
        b"[1,2]",
        b"\x01\x93\x01\x02\x03",
        b"\x02\xc1",
        b"\x02\x93\x01\x02\x03",
        b"\x02" + msgspec.msgpack.encode({"tenant_id": "t1"}),
    ],
)
def test_an_unreadable_state_says_what_to_do(raw: bytes) -> None:
    with pytest.raises(StateFormatError):
        decode_state_dict(raw)
    with pytest.raises(StateFormatError):
        decode_state(raw)
