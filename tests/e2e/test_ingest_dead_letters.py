"""Bad identifiers at the edge: dead-lettered by the bridge with their reasons, never run, nothing sent."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from nats.errors import TimeoutError as NatsTimeoutError

from bridge.jetstream import REASON_HEADER
from tests.e2e.conftest import Api, Observer
from tests.e2e.flows import contact, node, of, on_created
from tests.e2e.stack import Stack
from workflows.wire import envelope

pytestmark = pytest.mark.integration


async def _dead_letters(stack: Stack, nats_io: Observer, count: int) -> list[tuple[bytes, str]]:
    js = nats_io.nc.jetstream()
    sub = await js.pull_subscribe(
        stack.settings.nats_dlq_subject, stream=stack.env["WORKFLOWS_BRIDGE_DLQ_STREAM"]
    )
    found: list[tuple[bytes, str]] = []
    try:
        for _ in range(30):
            try:
                batch = await sub.fetch(count, timeout=1)
            except (NatsTimeoutError, TimeoutError):
                batch = []
            found += [(m.data, (m.headers or {}).get(REASON_HEADER, "")) for m in batch]
            if len(found) >= count:
                break
    finally:
        await sub.unsubscribe()
    return found


async def test_a_missing_id_a_long_contact_id_and_a_nul_in_an_id_are_dead_lettered(
    stack: Stack, api: Api, nats_io: Observer
) -> None:
    wf = api.create_active(on_created(node("mail", "send_email", templateId="t-edge"), name="edge rules"))
    no_id = envelope("contact.created", tenant_id=api.tenant, contact_id=contact(), data={})
    del no_id["id"]
    long_contact = envelope("contact.created", tenant_id=api.tenant, contact_id="c" * 101, data={})
    nul_id = envelope(
        "contact.created", tenant_id=api.tenant, contact_id=contact(), data={}, event_id="e\x00vil"
    )
    bad = {
        "id is missing": orjson.dumps(no_id),
        "contactId is 101 characters long, more than the limit of 100": orjson.dumps(long_contact),
        "id contains the control character U+0000": orjson.dumps(nul_id),
    }
    await nats_io.publish("contact.created", api.tenant, contact(), {})  # the stream exists once this passes
    js = nats_io.nc.jetstream()
    for body in bad.values():
        await js.publish(f"{stack.prefix}contact.created", body)
    good = contact()
    await nats_io.publish("contact.created", api.tenant, good, {})  # published after the bad ones

    dead = await _dead_letters(stack, nats_io, len(bad))
    for reason, body in bad.items():
        assert [d for d, why in dead if reason in why] == [body], (reason, [why for _, why in dead])

    # The good contacts after them ran and were sent their email; the bad ones never started a run.
    messages = await nats_io.wait_for(
        lambda found: len(of(found, "pipeline.message.send", contactId=good)) == 1, what="the good send"
    )
    await asyncio.sleep(2)
    sends = of(await nats_io.messages(), "pipeline.message.send")
    assert "c" * 101 not in {m.get("contactId") for m in sends}
    assert len(sends) == 2, sends  # the first good contact and the last, nothing else
    runs = api.wait_runs(wf["id"], count=2)
    assert len(runs) == 2
    assert len(of(messages, "workflow.run.started")) == 2
