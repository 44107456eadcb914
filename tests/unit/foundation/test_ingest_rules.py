"""Identifier rules, subscribed subjects and the observations record (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from streams.engine import event_types as et
from streams.engine import validate
from workflows.identifiers import (
    contact_id_problem,
    envelope_problem,
    event_id_problem,
    has_forbidden_characters,
    node_id_problem,
    tenant_id_problem,
    workflow_id_problem,
)
from workflows.settings import Settings
from workflows.subjects import (
    DEFAULT_SUBJECTS,
    custom_type_problem,
    event_type_of,
    inbound_subjects,
    parse_subjects,
    subscribed_event_types,
)
from workflows.wire import (
    ObservationsDecodeError,
    ObservedType,
    decode_observations,
    encode_observations,
)

GOOD = {"id": "e1", "type": "contact.created", "tenantId": "t1", "contactId": "c1"}


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"id": None}, "id is missing"),
        ({"id": ""}, "id is missing"),
        ({"id": 7}, "id must be a string"),
        ({"id": "x" * 201}, "201 characters long, more than the limit of 200"),
        ({"id": "e\x001"}, "U+0000"),
        ({"contactId": "c" * 101}, "contactId is 101 characters long, more than the limit of 100"),
        ({"contactId": "c\n1"}, "U+000A"),
        ({"contactId": "c\x7f"}, "U+007F"),
        ({"contactId": "c\x85"}, "U+0085"),
        ({"tenantId": "t 1"}, "does not match"),
        ({"tenantId": "t\x00"}, "does not match"),
        ({"type": "a\tb"}, "type contains"),
    ],
)
def test_an_envelope_breaking_the_identifier_rules_has_a_reason(
    fields: dict[str, object], reason: str
) -> None:
    problem = envelope_problem({**GOOD, **fields})
    assert problem is not None
    assert reason in problem


def test_identifiers_within_the_rules_pass() -> None:
    assert envelope_problem(GOOD) is None
    assert envelope_problem({**GOOD, "contactId": "c" * 100, "id": "é" * 200}) is None
    assert contact_id_problem("ünïcødé ✓ contact") is None
    assert event_id_problem("nats:WORKFLOWS_INBOUND:42") is None
    assert tenant_id_problem("tenant-1.eu:a") is None
    assert workflow_id_problem("5d1f0c3e-4c1b-4a8e-9f5e-0d7e2a1b3c4d") is None
    assert node_id_problem("n" * 101) is not None
    assert has_forbidden_characters("a\u2028b") is False
    assert has_forbidden_characters("a\ud800") is True


def test_the_default_subjects_come_from_the_engine() -> None:
    settings = Settings()
    assert inbound_subjects(settings) == DEFAULT_SUBJECTS
    # Derived from the event types: every platform type on its own subject, and the custom namespace.
    assert set(DEFAULT_SUBJECTS) == set(et.PLATFORM_EVENT_TYPES) | {et.CUSTOM_SUBJECTS}
    assert set(DEFAULT_SUBJECTS) == set(et.DEFAULT_INBOUND_SUBJECTS)
    assert {"form.submitted", "contact.snapshot", "events.>"} <= set(inbound_subjects(settings))
    assert set(et.PLATFORM_EVENT_TYPES) <= set(inbound_subjects(settings))


def test_subjects_are_configurable_and_checked() -> None:
    assert parse_subjects(" contact.created , events.orders.* ,contact.created") == (
        "contact.created",
        "events.orders.*",
    )
    for bad in ("workflow.>", ">", "a..b", "events.>.x", "a b"):
        with pytest.raises(ValueError, match=repr(bad)):
            parse_subjects(bad)


def test_the_custom_namespace_drops_its_prefix() -> None:
    assert event_type_of("events.order.placed") == "order.placed"
    assert event_type_of("form.submitted") == "form.submitted"
    subjects = DEFAULT_SUBJECTS
    assert custom_type_problem("order.placed", subjects) is None
    assert "internal" in (custom_type_problem("workflow.trigger.manual", subjects) or "")
    assert "subject of its own" in (custom_type_problem("contact.created", subjects) or "")
    assert "subject of its own" in (custom_type_problem("contact.snapshot", subjects) or "")


def test_subscribed_types_feed_validation() -> None:
    types = subscribed_event_types(Settings())
    assert "form.submitted" in types
    assert ">" in types  # events.> delivers any custom type
    assert "contact.snapshot" not in types  # it never starts a run
    narrow = subscribed_event_types(Settings(bridge_subjects="contact.created,events.orders.*"))
    assert narrow == ["contact.created", "orders.*"]

    def warned(event_type: str, subscribed: list[str]) -> bool:
        definition = {
            "name": "w",
            "trigger": {"type": "event", "event": event_type},
            "nodes": [{"id": "a", "type": "end", "position": {"x": 0, "y": 0}, "data": {}}],
            "edges": [{"source": "trigger", "target": "a"}],
        }
        return any(
            p.code == "unsubscribed_event_type" for p in validate(definition, subscribed_types=subscribed)
        )

    assert not warned("orders.placed", narrow)
    assert warned("invoice.paid", narrow)
    assert not warned("invoice.paid", types)


def test_observations_round_trip() -> None:
    at = datetime(2026, 3, 1, 12, 0, 5, 123000, tzinfo=UTC)
    seen = datetime(2026, 3, 1, 12, 0, 4, tzinfo=UTC)
    value = encode_observations([ObservedType("t1", "order.placed", 3, seen)], at=at)
    assert orjson.loads(value) == {
        "kind": "event_types",
        "at": "2026-03-01T12:00:05.123Z",
        "items": [
            {"tenantId": "t1", "type": "order.placed", "count": 3, "lastSeenAt": "2026-03-01T12:00:04.000Z"}
        ],
    }
    decoded = decode_observations(value)
    assert decoded.at == at
    assert decoded.items == [ObservedType("t1", "order.placed", 3, seen)]


@pytest.mark.parametrize(
    "value",
    [
        b"{",
        b"[]",
        b'{"kind": "other", "at": "2026-01-01T00:00:00Z", "items": []}',
        b'{"kind": "event_types", "at": "yesterday", "items": []}',
        b'{"kind": "event_types", "at": "2026-01-01T00:00:00Z", "items": [{"tenantId": "t"}]}',
        b'{"kind": "event_types", "at": "2026-01-01T00:00:00Z", "items": '
        b'[{"tenantId": "t", "type": "x", "count": -1, "lastSeenAt": "2026-01-01T00:00:00Z"}]}',
    ],
)
def test_malformed_observations_raise(value: bytes) -> None:
    with pytest.raises(ObservationsDecodeError):
        decode_observations(value)
