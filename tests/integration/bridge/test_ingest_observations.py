"""New subjects, event-type observations and identifier dead letters, against the real brokers."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from bridge.jetstream import REASON_HEADER
from bridge.runner import BridgeRunner
from tests.integration.bridge.conftest import Isolated, dumps, envelope, publish_all, read_events
from workflows.wire import Observations, decode_observations

pytestmark = pytest.mark.integration


async def read_observations(iso: Isolated, *, events: int, wait_s: float = 30) -> list[Observations]:
    """Observation records from the start until their counts add up to ``events``."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=iso.settings.kafka_bootstrap_servers, enable_auto_commit=False
    )
    await consumer.start()
    out: list[Observations] = []
    try:
        tp = TopicPartition(iso.settings.observations_topic, 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        deadline = asyncio.get_running_loop().time() + wait_s
        while asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(tp, timeout_ms=500)
            out += [decode_observations(r.value) for r in batch.get(tp, []) if r.value is not None]
            if sum(i.count for o in out for i in o.items) >= events:
                break
    finally:
        await consumer.stop()
    return out


async def topic_facts(iso: Isolated) -> tuple[int, dict[str, str]]:
    admin = AIOKafkaAdminClient(bootstrap_servers=iso.settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        topic = iso.settings.observations_topic
        described = await admin.describe_topics([topic])
        configs = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    finally:
        await admin.close()
    entries = configs[0].resources[0][4]
    return len(described[0]["partitions"]), {e[0]: e[1] for e in entries}


async def test_new_subjects_arrive_and_their_types_are_observed_per_tenant(isolated: Isolated) -> None:
    iso = isolated
    sent: list[tuple[str, bytes]] = []
    expected: Counter[tuple[str, str]] = Counter()
    for n in range(30):
        for subject, event_type, tenant in (
            ("form.submitted", "form.submitted", "tenant-1"),
            ("events.order.placed", "order.placed", "tenant-1"),
            ("events.order.placed", "order.placed", "tenant-2"),
            ("contact.snapshot", "contact.snapshot", "tenant-2"),
        ):
            env = envelope(
                iso.uid, event_type, f"c{n}", n, tenantId=tenant, id=f"{iso.uid}-{subject}-{tenant}-{n}"
            )
            if n % 2:
                del env["type"]  # the bridge writes the subject's type
            sent.append((iso.bridge.subject(subject), dumps(env)))
            expected[(tenant, event_type)] += 1
    # Refused, so neither forwarded nor observed: a platform type through the custom namespace.
    forged = envelope(iso.uid, "contact.created", "c-x", 0)
    del forged["type"]
    sent.append((iso.bridge.subject("events.contact.created"), dumps(forged)))

    bridge = iso.bridge.model_copy(update={"directions": "inbound", "observations_flush_s": 0.3})
    runner = BridgeRunner(iso.settings, bridge)
    await runner.start()
    try:
        await publish_all(iso.js, sent)
        landed = await read_events(iso.settings, expected=120, wait_s=30)
        observations = await read_observations(iso, events=120)
        partitions, config = await topic_facts(iso)
    finally:
        await runner.stop()

    types = Counter(str(e["type"]) for r in landed for e in r.envelopes)
    assert types == {"form.submitted": 30, "order.placed": 60, "contact.snapshot": 30}
    observed: Counter[tuple[str, str]] = Counter()
    for record in observations:
        assert record.items, "a flush with nothing admitted produces no record"
        for item in record.items:
            observed[(item.tenant_id, item.event_type)] += item.count
            assert item.last_seen_at <= record.at
    assert observed == expected
    assert ("tenant-1", "contact.created") not in observed
    assert partitions == 1
    assert config["cleanup.policy"] == "delete"
    assert config["retention.ms"] == str(iso.settings.observations_retention_ms)
    assert runner.metrics.observations._value.get() == len(observations)


async def test_missing_ids_and_ids_breaking_the_rules_are_dead_lettered_with_their_reasons(
    isolated: Isolated,
) -> None:
    iso = isolated
    subject = iso.bridge.subject("contact.created")
    good = envelope(iso.uid, "contact.created", "c-ok", 0)
    no_id = envelope(iso.uid, "contact.created", "c-1", 0)
    del no_id["id"]
    long_contact = envelope(iso.uid, "contact.created", "c" * 101, 0)
    nul_id = envelope(iso.uid, "contact.created", "c-2", 0, id="e\x00vil")
    bad = {
        "id is missing": dumps(no_id),
        "contactId is 101 characters long, more than the limit of 100": dumps(long_contact),
        "id contains the control character U+0000": dumps(nul_id),
    }
    runner = BridgeRunner(iso.settings, iso.bridge.model_copy(update={"directions": "inbound"}))
    await runner.start()
    try:
        await publish_all(iso.js, [(subject, body) for body in bad.values()] + [(subject, dumps(good))])
        landed = await read_events(iso.settings, expected=1, wait_s=15)
        sub = await iso.js.pull_subscribe(iso.settings.nats_dlq_subject, stream=iso.bridge.dlq_stream)
        dead = await sub.fetch(3, timeout=10)
        while len(dead) < 3:
            dead += await sub.fetch(3 - len(dead), timeout=10)
    finally:
        await runner.stop()

    assert [e["id"] for r in landed for e in r.envelopes] == [good["id"]]
    for reason, body in bad.items():
        matching = [m for m in dead if m.headers and reason in m.headers[REASON_HEADER]]
        assert [m.data for m in matching] == [body], (reason, [m.headers for m in dead])
