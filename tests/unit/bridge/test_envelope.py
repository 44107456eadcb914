"""Admission and packing rules of the inbound direction (pure, no I/O)."""

from __future__ import annotations

from collections import defaultdict

import orjson
import pytest

from bridge.config import BridgeSettings
from bridge.envelope import Accepted, Rejected, admit, pack, partitioner
from workflows.wire import decode_events, partition_for


def _env(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "e1",
        "type": "contact.created",
        "tenantId": "t1",
        "contactId": "c1",
        "occurredAt": "2025-01-01T00:00:00+00:00",
        "data": {"email": "a@example.com"},
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def _admit(payload: bytes, *, max_bytes: int = 1_000_000) -> Accepted | Rejected:
    return admit(payload, subject="contact.created", max_bytes=max_bytes)


def test_a_complete_envelope_is_forwarded_byte_for_byte() -> None:
    payload = orjson.dumps(_env())
    verdict = _admit(payload)
    assert verdict == Accepted("c1", payload, "t1", "contact.created")
    assert isinstance(verdict, Accepted)
    assert verdict.body is payload


def test_a_missing_type_becomes_the_subject() -> None:
    verdict = _admit(orjson.dumps(_env(type=None)))
    assert isinstance(verdict, Accepted)
    body = orjson.loads(verdict.body)
    assert body["type"] == "contact.created"
    assert (verdict.tenant_id, verdict.event_type) == ("t1", "contact.created")


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", "malformed JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (orjson.dumps(_env(tenantId=None)), "tenantId"),
        (orjson.dumps(_env(contactId=None)), "contactId"),
        (orjson.dumps(_env(contactId="")), "contactId"),
        (orjson.dumps(_env(occurredAt="yesterday")), "'occurredAt'"),
        (orjson.dumps(_env(data=[1])), "'data'"),
        (b"\xff\xfe", "malformed JSON"),
    ],
)
def test_invalid_envelopes_are_rejected_with_a_reason(payload: bytes, reason: str) -> None:
    verdict = _admit(payload)
    assert isinstance(verdict, Rejected)
    assert reason in verdict.reason


def test_a_body_over_the_limit_is_rejected_before_parsing() -> None:
    verdict = _admit(b"x" * 2001, max_bytes=2000)
    assert isinstance(verdict, Rejected)
    assert "too large" in verdict.reason
    assert "2001" in verdict.reason


def test_packing_keeps_per_partition_order_and_routes_by_contact() -> None:
    of = partitioner(12)
    events = [Accepted(f"c{i % 40}", orjson.dumps({"contactId": f"c{i % 40}", "n": i})) for i in range(500)]
    records = pack(events, partition_of=of, max_record_bytes=1024 * 1024)
    assert len(records) == len({of(e.contact_id) for e in events})
    seen: dict[str, list[int]] = defaultdict(list)
    for record in records:
        envelopes = decode_events(record.value)
        assert record.count == len(envelopes)
        assert record.key == envelopes[0]["contactId"].encode()
        for env in envelopes:
            assert partition_for(env["contactId"], 12) == record.partition
            seen[env["contactId"]].append(env["n"])
    assert sum(len(v) for v in seen.values()) == 500
    assert all(ns == sorted(ns) for ns in seen.values())


def test_packing_splits_records_at_the_size_limit_in_order() -> None:
    body = orjson.dumps({"contactId": "same", "pad": "x" * 100})
    events = [Accepted("same", body)] * 50
    records = pack(events, partition_of=lambda _c: 3, max_record_bytes=1000)
    assert len(records) > 1
    assert all(len(r.value) <= 1000 for r in records)
    assert sum(r.count for r in records) == 50
    assert {r.partition for r in records} == {3}


def test_an_event_larger_than_the_record_limit_still_gets_its_own_record() -> None:
    big = Accepted("c", b'{"pad":"' + b"x" * 3000 + b'"}')
    records = pack([big, big], partition_of=lambda _c: 0, max_record_bytes=1024)
    assert [r.count for r in records] == [1, 1]


def test_directions_and_subject_prefix() -> None:
    b = BridgeSettings(directions=" outbound , inbound", subject_prefix="t1.")
    assert b.direction_set == {"inbound", "outbound"}
    assert b.subject("contact.created") == "t1.contact.created"
    assert b.event_type("t1.contact.created") == "contact.created"
    assert BridgeSettings().event_type("contact.created") == "contact.created"
    with pytest.raises(ValueError, match="directions"):
        BridgeSettings(directions="sideways")


@pytest.mark.parametrize(
    "payload_type",
    ["pipeline.message.clicked", "contact.created.extra", "CONTACT.CREATED"],
)
def test_a_type_that_differs_from_its_subject_is_rejected(payload_type: str) -> None:
    verdict = _admit(orjson.dumps(_env(type=payload_type)))
    assert isinstance(verdict, Rejected)
    assert "differs from its subject 'contact.created'" in verdict.reason


@pytest.mark.parametrize(
    "internal",
    [
        "workflow.trigger.manual",
        "workflow.timer.fired",
        "workflow.action.completed",
        "workflow.run.cancel_requested",
        "workflow.run.stale_detected",
        "workflow.trigger.replay",
        "workflow.contact.erase_requested",
    ],
)
def test_an_internal_type_is_rejected_even_on_a_subject_of_its_name(internal: str) -> None:
    # On a platform subject the type mismatch already rejects it; on a (misconfigured) subject of the
    # internal name itself, the internal rule does.
    on_platform = _admit(orjson.dumps(_env(type=internal)))
    assert isinstance(on_platform, Rejected)
    payload = orjson.dumps(_env(type=internal))
    same = admit(payload, subject=internal, max_bytes=10_000)
    assert isinstance(same, Rejected)
    assert "internal to the engine" in same.reason
