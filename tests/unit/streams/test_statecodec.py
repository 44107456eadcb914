"""The stored state: version byte + MessagePack now; the JSON an earlier release wrote is still read."""

from __future__ import annotations

import orjson
import pytest

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


def test_a_state_round_trips_with_its_version_byte_and_is_smaller_than_json() -> None:
    state = decode_state(LEGACY)
    encoded = encode_state(state)
    assert encoded[0] == 1
    assert decode_state(encoded) == state
    assert decode_state_dict(encoded) == orjson.loads(LEGACY)
    assert len(encoded) < len(LEGACY)


def test_a_legacy_json_state_is_read_and_migrated_by_the_next_unit_that_changes_it() -> None:
    store = MemoryPartitionStore()
    key = state_key(TENANT, CONTACT)
    store.write(1, {key: LEGACY}, None)
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
    assert migrated[0] == 1
    assert all(run.status != "running" for run in decode_state(migrated).runs)
    subjects = [dict(o.headers).get("subject") for o in result.outputs]
    assert b"workflow.run.completed" in subjects  # the legacy run resumed where it waited


@pytest.mark.parametrize("raw", [b"", b"\x07abc", b"\x01\xc1", b"[1,2]", b"\x01\x93\x01\x02\x03"])
def test_an_unreadable_state_says_what_to_do(raw: bytes) -> None:
    with pytest.raises(StateFormatError):
        decode_state_dict(raw)
