"""The executor against real loopback sockets: a dripping server is cut at the deadline, a rebinding DNS
answer never reaches the private address it points to."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from streams.engine import CallWebhook
from streams.executor import ActionExecutor
from streams.metrics import Metrics
from streams.worker_settings import WorkerSettings


async def noop_emit(envelopes: list[dict[str, Any]]) -> None:
    return None


@pytest.fixture
async def drip() -> AsyncIterator[tuple[int, list[float]]]:
    """A server that sends its status line and then one byte every 0.5 s, forever."""
    opened: list[float] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        opened.append(time.monotonic())
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
    port = server.sockets[0].getsockname()[1]
    try:
        yield port, opened
    finally:
        server.close()


def settings(port: int, **extra: Any) -> WorkerSettings:
    return WorkerSettings(
        executor_allow_hosts=["127.0.0.1"],
        executor_allow_ports=[port],
        executor_attempts=1,
        **extra,
    )


def call(url: str, timeout_ms: int, tenant: str = "t1") -> CallWebhook:
    return CallWebhook(tenant, "c1", "run-1", "h", "run-1:h:1", url, "GET", {}, None, timeout_ms)


async def test_a_server_that_drips_its_answer_is_cut_at_the_deadline(drip: tuple[int, list[float]]) -> None:
    port, _opened = drip
    ex = ActionExecutor(settings(port), emit=noop_emit, metrics=Metrics())
    started = time.monotonic()
    try:
        result = await asyncio.wait_for(ex.run(call(f"http://127.0.0.1:{port}/slow", 1500)), timeout=20)
    finally:
        await ex.stop()
    elapsed = time.monotonic() - started
    assert result["type"] == "workflow.action.failed"
    assert "timed out after 1500 ms" in result["data"]["error"]["message"]
    assert 1.4 < elapsed < 2.5  # httpx's read timeout alone never fires: a byte arrives every 0.5 s


async def test_a_rebinding_resolver_never_reaches_the_private_address(
    drip: tuple[int, list[float]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The name answers a public address first and loopback afterwards, for every resolver in the process
    (the guard's and the one that connects). Only the public address may be connected to."""
    port, opened = drip
    loop = asyncio.get_running_loop()
    real = loop.getaddrinfo
    answers: list[str] = []

    async def rebinding(host: Any, p: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host  # anyio passes IDNA bytes
        if name != "rebind.example":
            return await real(host, p, *args, **kwargs)
        ip = "93.184.216.34" if not answers else "127.0.0.1"
        answers.append(ip)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, p))]

    monkeypatch.setattr(loop, "getaddrinfo", rebinding)
    # Only loopback is allow-listed by port here; the loopback address itself is not allow-listed.
    ws = WorkerSettings(executor_allow_ports=[port], executor_attempts=1)
    ex = ActionExecutor(ws, emit=noop_emit, metrics=Metrics())
    try:
        result = await asyncio.wait_for(ex.run(call(f"http://rebind.example:{port}/x", 1000)), timeout=20)
    finally:
        await ex.stop()
    assert answers[0] == "93.184.216.34"
    assert opened == []  # no connection ever reached the loopback server
    assert result["type"] == "workflow.action.failed"


async def test_an_injected_resolver_is_asked_once_per_connection_and_its_answer_is_checked(
    drip: tuple[int, list[float]],
) -> None:
    port, opened = drip
    asked: list[str] = []

    async def resolver(host: str, p: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.1"]  # a private answer for a name that is not allow-listed

    ws = WorkerSettings(executor_allow_ports=[port], executor_attempts=1)
    ex = ActionExecutor(ws, emit=noop_emit, metrics=Metrics(), resolver=resolver)
    try:
        result = await ex.run(call(f"http://hooks.example:{port}/x", 1000))
    finally:
        await ex.stop()
    assert asked == ["hooks.example"]
    assert opened == []
    assert "non-public address 127.0.0.1" in result["data"]["error"]["message"]
