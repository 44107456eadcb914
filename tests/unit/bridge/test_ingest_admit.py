"""Admission of the new subjects and of identifiers breaking the rules; the event-type tally (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from bridge.envelope import Accepted, Rejected, admit
from bridge.observability import EventTypeTally
from workflows.subjects import DEFAULT_SUBJECTS
from workflows.wire import ObservedType


def _env(**fields: object) -> bytes:
    base: dict[str, object] = {
        "id": "e1",
        "type": "contact.created",
        "tenantId": "t1",
        "contactId": "c1",
        "occurredAt": "2025-01-01T00:00:00+00:00",
        "data": {},
    }
    base.update(fields)
    return orjson.dumps({k: v for k, v in base.items() if v is not None})


def _admit(payload: bytes, subject: str = "contact.created") -> Accepted | Rejected:
    return admit(payload, subject=subject, max_bytes=100_000, subjects=DEFAULT_SUBJECTS)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"id": None}, "id is missing"),
        ({"id": ""}, "id is missing"),
        ({"id": 12}, "id must be a string"),
        ({"id": "e\x00"}, "id contains the control character U+0000"),
        ({"contactId": "c" * 101}, "contactId is 101 characters long, more than the limit of 100"),
        ({"contactId": "c\x00"}, "contactId contains the control character U+0000"),
        ({"tenantId": "tenant one"}, "tenantId 'tenant one' does not match"),
    ],
)
def test_identifiers_breaking_the_rules_are_rejected_with_their_reason(
    fields: dict[str, object], reason: str
) -> None:
    verdict = _admit(_env(**fields))
    assert isinstance(verdict, Rejected)
    assert reason in verdict.reason


def test_form_submissions_and_snapshots_are_admitted_on_their_subjects() -> None:
    for subject in ("form.submitted", "contact.snapshot"):
        verdict = _admit(_env(type=subject), subject)
        assert isinstance(verdict, Accepted)
        assert verdict.event_type == subject


def test_a_custom_event_is_the_subject_without_the_namespace() -> None:
    verdict = _admit(_env(type=None), "events.order.placed")
    assert isinstance(verdict, Accepted)
    assert orjson.loads(verdict.body)["type"] == "order.placed"
    assert (verdict.tenant_id, verdict.event_type) == ("t1", "order.placed")
    named = _admit(_env(type="order.placed"), "events.order.placed")
    assert isinstance(named, Accepted)
    assert named.body == _env(type="order.placed")  # forwarded byte for byte


@pytest.mark.parametrize(
    ("subject", "payload_type", "reason"),
    [
        ("events.order.placed", "events.order.placed", "differs from its subject 'order.placed'"),
        ("events.contact.created", None, "has a subject of its own"),
        ("events.contact.snapshot", None, "has a subject of its own"),
        ("events.workflow.trigger.manual", None, "internal to the engine"),
        ("events.workflow.anything", None, "internal to the engine"),
    ],
)
def test_the_custom_namespace_cannot_forge_platform_or_engine_types(
    subject: str, payload_type: str | None, reason: str
) -> None:
    verdict = _admit(_env(type=payload_type), subject)
    assert isinstance(verdict, Rejected)
    assert reason in verdict.reason


def test_the_tally_adds_per_tenant_and_type_and_resets_on_take() -> None:
    tally = EventTypeTally()
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    tally.add({("t1", "a"): 2, ("t2", "a"): 1}, at=t0)
    tally.add({("t1", "a"): 3}, at=t0 + timedelta(seconds=5))
    assert tally.take() == [
        ObservedType("t1", "a", 5, t0 + timedelta(seconds=5)),
        ObservedType("t2", "a", 1, t0),
    ]
    assert tally.take() == []
    tally.give_back([ObservedType("t1", "a", 5, t0)])
    tally.add({("t1", "a"): 1}, at=t0 + timedelta(seconds=1))
    assert tally.take() == [ObservedType("t1", "a", 6, t0 + timedelta(seconds=1))]


def test_the_tally_keeps_a_bounded_number_of_pairs() -> None:
    tally = EventTypeTally(max_keys=3)
    tally.add({("t", f"type{i}"): 1 for i in range(5)})
    tally.add({("t", "type0"): 1})
    items = tally.take()
    assert [(i.event_type, i.count) for i in items] == [("type0", 2), ("type1", 1), ("type2", 1)]
    assert tally.dropped == 2
