"""NATS JetStream -> workflows.events, against the real brokers."""

from __future__ import annotations

import random
from collections import defaultdict

import httpx
import orjson
import pytest

from bridge.config import INBOUND_SUBJECTS
from bridge.jetstream import REASON_HEADER, SUBJECT_HEADER
from bridge.runner import BridgeRunner
from tests.integration.bridge.conftest import Isolated, Landed, dumps, envelope, publish_all, read_events
from workflows.wire import partition_for

pytestmark = pytest.mark.integration


def mixed_messages(
    iso: Isolated, count: int, *, contacts: int = 300, missing_ids: bool = True
) -> tuple[list[tuple[str, bytes]], set[int]]:
    """``count`` envelopes over every inbound subject; every tenth has no id (the bridge dead-letters it),
    every seventh no type (the bridge uses the subject). Returns the messages and the indexes without id."""
    rng = random.Random(5)
    counters: dict[str, int] = defaultdict(int)
    items: list[tuple[str, bytes]] = []
    without_id: set[int] = set()
    for i in range(count):
        contact = f"contact-{rng.randrange(contacts)}"
        subject = INBOUND_SUBJECTS[i % len(INBOUND_SUBJECTS)]
        env = envelope(iso.uid, subject, contact, counters[contact])
        counters[contact] += 1
        if missing_ids and i % 10 == 0:
            del env["id"]
            without_id.add(i)
        if i % 7 == 0:
            del env["type"]
        items.append((iso.bridge.subject(subject), dumps(env)))
    return items, without_id


def check_landed(iso: Isolated, landed: list[Landed]) -> dict[str, list[dict[str, object]]]:
    """Partition and key rules, and per-contact order of first occurrences; returns envelopes by id."""
    partitions = iso.settings.events_partitions
    by_id: dict[str, list[dict[str, object]]] = defaultdict(list)
    order: dict[str, list[int]] = defaultdict(list)
    for record in sorted(landed, key=lambda r: (r.partition, r.offset)):
        assert record.key == str(record.envelopes[0]["contactId"]).encode()
        for env in record.envelopes:
            assert partition_for(str(env["contactId"]), partitions) == record.partition
            if str(env["id"]) not in by_id:
                order[str(env["contactId"])].append(int(env["data"]["n"]))  # type: ignore[call-overload,index]
            by_id[str(env["id"])].append(env)
    for contact, ns in order.items():  # gaps are the dead-lettered messages
        assert ns == sorted(set(ns)), f"{contact} out of order: {ns[:20]}"
    return by_id


async def test_ten_thousand_mixed_messages_arrive_once_on_their_partition_in_order(
    isolated: Isolated,
) -> None:
    iso = isolated
    items, without_id = mixed_messages(iso, 10_000)
    runner = BridgeRunner(iso.settings, iso.bridge.model_copy(update={"directions": "inbound"}))
    await runner.start()
    try:
        await publish_all(iso.js, items)
        landed = await read_events(iso.settings, expected=len(items) - len(without_id))
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{runner.http.port}") as http:
            health = (await http.get("/health")).json()
            metrics = (await http.get("/metrics")).text
    finally:
        await runner.stop()

    by_id = check_landed(iso, landed)
    kept = 10_000 - len(without_id)
    assert sum(len(r.envelopes) for r in landed) == kept  # no crash: not even a duplicate
    assert len(by_id) == kept
    # A message without id is dead-lettered (a redelivered copy could not be told from a new event); a
    # message without type got its (unprefixed) subject.
    for i, (subject, body) in enumerate(items):
        if i in without_id:
            continue
        sent = orjson.loads(body)
        got = by_id[sent["id"]][0]
        assert got["type"] == subject.removeprefix(iso.bridge.subject_prefix)
        assert got["data"] == sent["data"]
    assert len(landed) < kept  # events were packed into batch records

    assert health == {"healthy": True, "nats": "connected", "directions": {"inbound": "running"}}
    assert f"bridge_inbound_messages_total {kept}.0" in metrics
    assert f'bridge_dead_lettered_total{{direction="inbound"}} {len(without_id)}.0' in metrics
    assert "bridge_batch_seconds_count" in metrics


async def test_invalid_messages_are_dead_lettered_and_their_neighbours_pass(isolated: Isolated) -> None:
    iso = isolated
    subject = iso.bridge.subject("contact.updated")
    good = [envelope(iso.uid, "contact.updated", "c-1", n) for n in range(3)]
    no_tenant = envelope(iso.uid, "contact.updated", "c-2", 0)
    del no_tenant["tenantId"]
    no_contact = envelope(iso.uid, "contact.updated", "c-3", 0)
    del no_contact["contactId"]
    huge = envelope(iso.uid, "contact.updated", "c-4", 0, data={"blob": "x" * (2 * 1024 * 1024)})
    bad = {
        "malformed JSON": b'{"id": "x", "tenantId": ',
        "tenantId": dumps(no_tenant),
        "contactId": dumps(no_contact),
        "too large": dumps(huge),
    }
    sequence = [
        dumps(good[0]),
        *list(bad.values())[:2],
        dumps(good[1]),
        *list(bad.values())[2:],
        dumps(good[2]),
    ]

    runner = BridgeRunner(iso.settings, iso.bridge.model_copy(update={"directions": "inbound"}))
    await runner.start()
    try:
        await publish_all(iso.js, [(subject, body) for body in sequence])
        landed = await read_events(iso.settings, expected=3, wait_s=20)
        sub = await iso.js.pull_subscribe(iso.settings.nats_dlq_subject, stream=iso.bridge.dlq_stream)
        dead = await sub.fetch(4, timeout=10)
        while len(dead) < 4:
            dead += await sub.fetch(4 - len(dead), timeout=10)
    finally:
        await runner.stop()

    assert [e["id"] for r in landed for e in r.envelopes] == [g["id"] for g in good]
    reasons = {m.headers[REASON_HEADER]: m for m in dead if m.headers}
    for expected, original in bad.items():
        match = [m for reason, m in reasons.items() if expected in reason]
        assert len(match) == 1, (expected, list(reasons))
        assert match[0].data == original  # the original bytes, untouched
        assert match[0].headers is not None
        assert match[0].headers[SUBJECT_HEADER] == subject
    assert runner.metrics.dead_lettered.labels("inbound")._value.get() == 4
