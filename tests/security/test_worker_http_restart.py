"""HTTP actions survive a SIGKILL: 50 webhook calls in flight against a slow receiver, the worker killed and
restarted. Every call is received with its Idempotency-Key, each key's effect is applied once by the
receiver, no run fails and all complete."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.worker.harness import Client, Stack
from tests.security.worker_kit import (
    Receiver,
    created,
    run_statuses,
    serving,
    start_worker,
    wait_for,
    webhook_flow,
)
from workflows.settings import Settings

CALLS = 50


@pytest.fixture
async def stack(services: Settings) -> AsyncIterator[Stack]:
    s = Stack(services.kafka_bootstrap_servers)
    await s.create_topics()
    yield s
    await s.delete_topics()


async def test_calls_in_flight_when_the_worker_is_killed_are_made_after_the_restart(
    stack: Stack, tmp_path: Path
) -> None:
    async with serving(Receiver(delay=3.0)) as receiver:
        worker = start_worker(
            stack,
            tmp_path,
            "worker",
            port=receiver.port,
            WORKFLOWS_EXECUTOR_CONCURRENCY="64",
            WORKFLOWS_EXECUTOR_TENANT_CONCURRENCY="64",
        )
        try:
            async with Client(stack) as client:
                await client.publish_definition(
                    webhook_flow("wf-hooks", "t1", f"http://127.0.0.1:{receiver.port}/hook")
                )
                await client.send(*[created(f"e{i}", f"c-{i}", "t1") for i in range(CALLS)], batch=True)
            await wait_for(lambda: len(set(receiver.keys)) >= CALLS, 90, "50 calls in flight")
            assert receiver.applied == {}  # none answered yet: all 50 are in flight
            worker.kill()
            before = set(receiver.keys)
            worker.start()

            statuses = await run_statuses(
                stack,
                until=lambda s: sum(v == "completed" for v in s.values()) >= CALLS,
                within=150,
            )
        finally:
            worker.stop()
        assert sum(v == "completed" for v in statuses.values()) == CALLS, worker.tail()
        assert "failed" not in statuses.values()
        keys = set(receiver.keys)
        assert keys == before  # the same 50 keys, called again after the restart
        assert len(keys) == CALLS
        assert all(key.count(":") == 2 and key.endswith(":h1:1") for key in keys)  # runId:nodeId:visit
        assert set(receiver.applied) == keys
        assert set(receiver.applied.values()) == {1}
        print(f"calls received: {len(receiver.keys)} for {len(keys)} keys (repeats dropped by the receiver)")
