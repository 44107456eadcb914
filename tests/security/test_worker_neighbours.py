"""Neighbours keep moving: while one tenant's webhook calls hang on a dripping server (filling its slots) or
bring back 600 KB answers, a second tenant's runs complete through the same real worker."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from streams.statecodec import decode_state_dict
from tests.integration.worker.harness import Client, Stack, envelope
from tests.security.worker_kit import (
    Receiver,
    created,
    email_flow,
    run_statuses,
    serving,
    start_worker,
    webhook_flow,
)
from workflows.settings import Settings

BUDGET = 900 * 1024


@pytest.fixture
async def stack(services: Settings) -> AsyncIterator[Stack]:
    s = Stack(services.kafka_bootstrap_servers)
    await s.create_topics()
    yield s
    await s.delete_topics()


@pytest.fixture
async def drip_port() -> AsyncIterator[int]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
        try:
            while True:
                writer.write(b"x")
                await writer.drain()
                await asyncio.sleep(0.5)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()


async def changelog_states(stack: Stack, contact: str) -> list[bytes | None]:
    """Every value the worker's changelog holds for the contact's state key, oldest first."""
    topic = f"{stack.group}-contacts-changelog"
    consumer = AIOKafkaConsumer(bootstrap_servers=stack.bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        parts = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in parts]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        values: list[bytes | None] = []
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                values += [r.value for r in records if r.key == f"S|t-big|{contact}".encode()]
        return values
    finally:
        await consumer.stop()


async def test_a_tenant_whose_calls_hang_does_not_stop_another_tenants_runs(
    stack: Stack, tmp_path: Path, drip_port: int
) -> None:
    async with serving(Receiver()) as fast:
        worker = start_worker(
            stack,
            tmp_path,
            "worker",
            port=fast.port,
            WORKFLOWS_EXECUTOR_ALLOW_PORTS=json.dumps([fast.port, drip_port]),
        )
        try:
            async with Client(stack) as client:
                noisy = webhook_flow("wf-noisy", "t-noisy", f"http://127.0.0.1:{drip_port}/slow")
                noisy["nodes"][0]["data"]["timeoutMs"] = 60_000
                await client.publish_definition(noisy)
                await client.publish_definition(email_flow("wf-quiet", "t-quiet"))
                await client.publish_definition(
                    webhook_flow("wf-quiet-hook", "t-quiet", f"http://127.0.0.1:{fast.port}/ok")
                )
                await client.send(*[created(f"n{i}", f"noisy-{i}", "t-noisy") for i in range(40)], batch=True)
                await asyncio.sleep(2)  # the noisy calls hold their slots (and would hold all 32 before)
                await client.send(*[created(f"q{i}", f"quiet-{i}", "t-quiet") for i in range(10)], batch=True)
            statuses = await run_statuses(
                stack, until=lambda s: sum(v == "completed" for v in s.values()) >= 20, within=30
            )
        finally:
            worker.stop()
        assert sum(v == "completed" for v in statuses.values()) == 20, worker.tail()  # 10 emails, 10 calls
        assert len(set(fast.keys)) == 10


async def test_two_600_kb_responses_leave_the_state_under_budget_and_neighbours_moving(
    stack: Stack, tmp_path: Path
) -> None:
    body = orjson.dumps({"blob": "x" * 600 * 1024})
    async with serving(Receiver(body=body)) as receiver:
        worker = start_worker(
            stack,
            tmp_path,
            "worker",
            port=receiver.port,
            WORKFLOWS_EXECUTOR_MAX_RESPONSE_BYTES=str(1024 * 1024),  # keep whole answers
        )
        try:
            async with Client(stack) as client:
                url = f"http://127.0.0.1:{receiver.port}/big"
                await client.publish_definition(webhook_flow("wf-big", "t-big", url, then_delay=True))
                await client.publish_definition(email_flow("wf-other", "t-other"))
                await client.send(created("b1", "big-1", "t-big"))
                await client.send(*[created(f"o{i}", f"other-{i}", "t-other") for i in range(10)], batch=True)

            def done(s: dict[str, str]) -> bool:
                return sum(v == "completed" for v in s.values()) >= 10 and len(receiver.keys) >= 2

            statuses = await run_statuses(stack, until=done, within=60)
            await asyncio.sleep(2)  # the second answer applied
            async with Client(stack) as client:  # the contact is still processed afterwards
                update = {"changes": {"attributes": {"seen": True}}}
                await client.send(envelope("b2", "contact.updated", "big-1", update, tenant="t-big"))
            await asyncio.sleep(3)
            states = await changelog_states(stack, "big-1")
        finally:
            worker.stop()
        assert sum(v == "completed" for v in statuses.values()) == 10, worker.tail()
        assert len(set(receiver.keys)) == 2  # both webhook nodes were called, no repeat
        assert states, worker.tail()
        assert all(v is not None and len(v) <= BUDGET for v in states)
        assert states[-1] is not None
        last = decode_state_dict(states[-1])
        [run] = last["runs"]
        assert run["currentNodeId"] == "d"  # the run moved past both calls and waits in its delay
        assert "b2" in str(last.get("applied"))
