"""A stopped stack leaves the shared brokers as it found them: its streams and topics are gone."""

from __future__ import annotations

import asyncio
from pathlib import Path

import nats
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from tests.e2e.conftest import Observer, start_stack
from tests.e2e.flows import contact
from workflows.settings import Settings

pytestmark = pytest.mark.integration


async def _streams(settings: Settings) -> set[str]:
    nc = await nats.connect(settings.nats_url)
    try:
        return {info.config.name for info in await nc.jetstream().streams_info()}
    finally:
        await nc.close()


async def _topics(settings: Settings) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


async def test_a_stopped_stack_deletes_its_streams_and_topics(e2e_settings: Settings, tmp_path: Path) -> None:
    before = await _streams(e2e_settings)
    stack = await asyncio.to_thread(start_stack, e2e_settings, tmp_path / "stack")
    mark = f"e2e{stack.run}"
    try:
        observer = Observer(stack)
        await observer.open()
        try:
            await observer.publish("contact.created", "tenant-cleanup", contact(), {})
        finally:
            await observer.close()
        await asyncio.to_thread(stack.wait_events_processed, 1)
        running_streams = await _streams(e2e_settings)
        running_topics = {t for t in await _topics(e2e_settings) if t.startswith(mark)}
    finally:
        await asyncio.to_thread(stack.stop)

    ours = set(stack.streams())
    assert ours <= running_streams
    assert ours.isdisjoint(before)
    assert f"{mark}.workflows.events" in running_topics
    assert any(t.startswith(f"{mark}-worker-") for t in running_topics), running_topics
    after = await _streams(e2e_settings)
    assert ours.isdisjoint(after), "the stack's streams outlived it"
    assert not {t for t in await _topics(e2e_settings) if t.startswith(mark)}, (
        "the stack's topics outlived it"
    )
    print(
        f"\nstreams on the server: {len(before)} before, {len(running_streams)} running, {len(after)} after"
    )
