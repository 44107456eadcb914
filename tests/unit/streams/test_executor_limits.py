"""The executor's slots, headers and response cap, and the runtime's too-large handling and sweep."""

from __future__ import annotations

import asyncio
import gzip
import tracemalloc
from collections.abc import Sequence
from typing import Any

import httpx
import pytest
from aiokafka.errors import MessageSizeTooLargeError

from streams.commit import CommitUnit
from streams.engine import CallWebhook
from streams.executor import ActionExecutor
from streams.host import MemoryHost
from streams.metrics import Metrics
from streams.processor import DLQ_REASON_HEADER
from streams.runtime import WorkerRuntime
from streams.sink import MemorySink, OutRecord
from streams.store import MemoryPartitionStore
from tests.unit.streams.builders import T0, apply, contact_on, envelope, header, record
from tests.unit.streams.test_executor import PUBLIC, Calls, noop_emit, settings, webhook
from tests.unit.streams.test_pending_actions import proc, two_webhooks
from workflows.settings import Settings


def hook(tenant: str, n: int) -> CallWebhook:
    return CallWebhook(tenant, f"c{n}", f"r{n}", "h", f"r{n}:h:1", f"{PUBLIC}/x", "POST", {}, None, 1_000)


class Gate:
    """A MockTransport handler that holds every request until released."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.seen: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        await self.release.wait()
        return httpx.Response(200, json={"ok": True})


async def test_a_tenant_gets_at_most_its_share_of_slots_and_offer_never_waits() -> None:
    gate = Gate()
    ws = settings(executor_concurrency=4, executor_tenant_concurrency=2)
    ex = ActionExecutor(ws, emit=noop_emit, metrics=Metrics(), transport=httpx.MockTransport(gate))
    try:
        assert [ex.offer(hook("noisy", n)) for n in range(4)] == [True, True, False, False]
        assert ex.offer(hook("noisy", 0))  # already in flight: taken, not called twice
        assert [ex.offer(hook("quiet", n)) for n in range(10, 13)] == [True, True, False]  # full
        await asyncio.sleep(0.05)
        assert len(gate.seen) == 4
        gate.release.set()
        for _ in range(50):
            await asyncio.sleep(0.01)
            if ex.has_room() and not ex.in_flight("r0:h:1"):
                break
        assert ex.recently_done("r0:h:1", mono=asyncio.get_running_loop().time())
        assert ex.offer(hook("noisy", 2))  # slots freed
    finally:
        await ex.stop()


async def test_every_call_carries_its_idempotency_key_which_a_node_cannot_override() -> None:
    calls = Calls(httpx.Response(204))
    effect = CallWebhook(
        "t1", "c1", "run-9", "h", "run-9:h:2", f"{PUBLIC}/x", "POST", {"Idempotency-Key": "mine"}, None, 1000
    )
    ex = ActionExecutor(settings(), emit=noop_emit, metrics=Metrics(), transport=httpx.MockTransport(calls))
    try:
        await ex.run(effect)
    finally:
        await ex.stop()
    [request] = calls.requests
    assert request.headers.get_list("idempotency-key") == ["run-9:h:2"]


async def test_a_gzip_bomb_is_capped_after_decompression_without_inflating_it() -> None:
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)  # 64 MiB of zeros in ~64 KiB
    assert len(bomb) < 100 * 1024

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-encoding": "gzip"}, stream=httpx.ByteStream(bomb))

    ws = settings(executor_max_response_bytes=256 * 1024)
    ex = ActionExecutor(ws, emit=noop_emit, metrics=Metrics(), transport=httpx.MockTransport(handler))
    tracemalloc.start()
    try:
        result = await ex.run(webhook())
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        await ex.stop()
    output = result["data"]["output"]
    assert output["truncated"] is True
    assert len(output["body"]) == 256 * 1024
    print(f"peak traced memory reading a 64 MiB gzip bomb: {peak / 2**20:.1f} MiB")
    assert peak < 8 * 2**20  # decoding the whole chunk (httpx aiter_bytes) costs the full 64 MiB


async def test_a_gzip_response_under_the_cap_is_decoded() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = gzip.compress(b'{"ok": true}')
        return httpx.Response(200, headers={"content-encoding": "gzip"}, stream=httpx.ByteStream(body))

    ex = ActionExecutor(settings(), emit=noop_emit, metrics=Metrics(), transport=httpx.MockTransport(handler))
    try:
        result = await ex.run(webhook())
    finally:
        await ex.stop()
    assert result["data"]["output"]["body"] == {"ok": True}


class TooLargeSink(MemorySink):
    """Refuses any send holding a record over ``limit`` bytes, as the broker does."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit
        self.refusals = 0

    async def send_all(self, records: Sequence[OutRecord]) -> dict[tuple[str, int], int]:
        if any(len(r.value or b"") > self.limit for r in records):
            self.refusals += 1
            raise MessageSizeTooLargeError()
        return await super().send_all(records)


def runtime_on(store: MemoryPartitionStore, sink: MemorySink, **ws: Any) -> WorkerRuntime:
    return WorkerRuntime(Settings(), settings(**ws), MemoryHost(store), sink=sink)


def commit_on(store: MemoryPartitionStore, sink: MemorySink) -> CommitUnit:
    return CommitUnit(
        sink, store, proc(store, two_webhooks()), changelog_topic="contacts-changelog", metrics=Metrics()
    )


async def test_a_record_kafka_refuses_as_too_large_is_dead_lettered_once_and_the_rest_delivered() -> None:
    sink = TooLargeSink(limit=1000)
    commit = commit_on(MemoryPartitionStore(), sink)
    small = OutRecord("workflows.out", 0, b"k", b"small", [("subject", b"x")])
    big = OutRecord("workflows.out", 1, b"k", b"x" * 5000, [("subject", b"x")])
    await asyncio.wait_for(commit.send([small, big, small]), timeout=5)  # never retried forever
    delivered = [r for r in sink.records if r.topic == "workflows.out"]
    assert [r.value for r in delivered] == [b"small", b"small"]
    [dead] = [r for r in sink.records if r.topic == commit.dlq_topic]
    assert dead.value is None
    assert b"too large" in (header(dead, DLQ_REASON_HEADER) or b"")


async def test_a_changelog_record_refused_as_too_large_is_not_stored_locally() -> None:
    store = MemoryPartitionStore()
    commit = commit_on(store, TooLargeSink(limit=1000))
    await asyncio.wait_for(commit.commit([], {0: {b"S|t|a": b"ok", b"S|t|b": b"y" * 5000}}), timeout=5)
    assert store.get(0, b"S|t|a") == b"ok"
    assert store.get(0, b"S|t|b") is None  # never ahead of the changelog


async def test_the_sweep_offers_pending_actions_a_restarted_worker_finds_in_its_store() -> None:
    store = MemoryPartitionStore()
    p = proc(store, two_webhooks())
    contacts = [contact_on(1), *[c for c in (contact_on(1),)]]
    apply(store, p.process([record(1, 0, envelope("e1", "contact.created", contacts[0]))], now=T0))

    gate = Gate()
    rt = runtime_on(store, MemorySink())
    rt.executor = ActionExecutor(
        rt.ws, emit=noop_emit, metrics=Metrics(), transport=httpx.MockTransport(gate)
    )
    try:
        rt._sweep({1})  # a new owned set: swept at once
        await asyncio.sleep(0.05)
        assert [r.headers["idempotency-key"] for r in gate.seen] == [next(iter(rt.executor._tasks))]
        rt._sweep({1})  # nothing new: not swept again before the period
        await asyncio.sleep(0.05)
        assert len(gate.seen) == 1
    finally:
        gate.release.set()
        await rt.executor.stop()


@pytest.mark.parametrize("port", [8080, 22])
async def test_other_ports_are_refused_unless_listed(port: int) -> None:
    calls = Calls(httpx.Response(204))
    ex = ActionExecutor(settings(), emit=noop_emit, metrics=Metrics(), transport=httpx.MockTransport(calls))
    listed = ActionExecutor(
        settings(executor_allow_ports=[port]),
        emit=noop_emit,
        metrics=Metrics(),
        transport=httpx.MockTransport(calls),
    )
    try:
        refused = await ex.run(webhook(f"{PUBLIC}:{port}/x"))
        allowed = await listed.run(webhook(f"{PUBLIC}:{port}/x"))
    finally:
        await ex.stop()
        await listed.stop()
    assert refused["data"]["error"]["message"] == f"refused URL {PUBLIC}: port {port} is not allowed"
    assert allowed["type"] == "workflow.action.completed"
    assert len(calls.requests) == 1
