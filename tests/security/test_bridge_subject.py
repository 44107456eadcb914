"""The bridge trusts the NATS subject, not the payload's ``type`` (issue: a publisher allowed on
``pipeline.message.opened`` could send manual triggers, timer firings, action results, cancels, erasures,
replays or stale checks for any tenant)."""

from __future__ import annotations

import pytest

from bridge.jetstream import REASON_HEADER, SUBJECT_HEADER
from bridge.runner import BridgeRunner
from tests.integration.bridge.conftest import (
    Isolated,
    dumps,
    envelope,
    publish_all,
    read_events,
)

pytestmark = pytest.mark.integration

_INTERNAL = [
    "workflow.trigger.manual",
    "workflow.timer.fired",
    "workflow.action.completed",
    "workflow.run.cancel_requested",
    "workflow.run.stale_detected",
    "workflow.trigger.replay",
    "workflow.contact.erase_requested",
]


async def test_type_subject_mismatch_and_internal_types_are_dead_lettered(isolated: Isolated) -> None:
    iso = isolated
    subject = iso.bridge.subject("pipeline.message.opened")
    forged = []
    for n, internal in enumerate(_INTERNAL):
        env = envelope(iso.uid, "pipeline.message.opened", f"victim-{n}", 0)
        env["type"] = internal
        env["tenantId"] = "another-tenant"
        forged.append(env)
    other_platform_type = envelope(iso.uid, "pipeline.message.opened", "c-x", 0)
    other_platform_type["type"] = "contact.created"
    forged.append(other_platform_type)
    good = [envelope(iso.uid, "pipeline.message.opened", "c-ok", n) for n in range(3)]
    sequence = [dumps(good[0]), *(dumps(f) for f in forged[:4]), dumps(good[1])]
    sequence += [*(dumps(f) for f in forged[4:]), dumps(good[2])]

    runner = BridgeRunner(iso.settings, iso.bridge.model_copy(update={"directions": "inbound"}))
    await runner.start()
    try:
        await publish_all(iso.js, [(subject, body) for body in sequence])
        landed = await read_events(iso.settings, expected=3, wait_s=20)
        sub = await iso.js.pull_subscribe(iso.settings.nats_dlq_subject, stream=iso.bridge.dlq_stream)
        dead = await sub.fetch(len(forged), timeout=10)
        while len(dead) < len(forged):
            dead += await sub.fetch(len(forged) - len(dead), timeout=10)
    finally:
        await runner.stop()

    # Only the genuine events reached Kafka, in order; nothing forged did.
    assert [e["id"] for r in landed for e in r.envelopes] == [g["id"] for g in good]
    assert len(dead) == len(forged)
    by_id = {m.data: m for m in dead}
    for env in forged:
        message = by_id[dumps(env)]  # the original bytes, untouched
        assert message.headers is not None
        assert message.headers[SUBJECT_HEADER] == subject
        reason = message.headers[REASON_HEADER]
        assert "differs from its subject 'pipeline.message.opened'" in reason, reason
    assert runner.metrics.dead_lettered.labels("inbound")._value.get() == len(forged)
