"""Neighbours keep moving: while each attack of the budget and executor findings runs against the whole
product, a second tenant's events keep being processed and its runs complete.

One stack (bridge, worker, API on the real services). The neighbour tenant has an active workflow on
``contact.created``; during every attack the test publishes a fresh batch of the neighbour's events and waits
for all of its runs to complete. Attacks: a 2 MB API body, a definition with 5,000 trigger conditions, a
simulation whose answer would be megabytes, and webhook actions that meet a server dripping its answer, a gzip
bomb, two 600 KB answers per run, and a template value that tries to move the request to another host.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import itertools
import uuid
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Api, Observer, start_stack
from tests.e2e.stack import Stack
from workflows.settings import Settings

pytestmark = pytest.mark.integration

BATCH = 5  # neighbour events per attack
EVIL = "@evil.example/x"  # a contact attribute that tries to move a templated URL to another host
_BOMB = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)  # 64 MiB inflated, ~64 KB on the wire
_BIG = b'{"pad": "' + b"x" * 600_000 + b'"}'


class Receiver:
    """A loopback HTTP server with one misbehaviour per path; it records every request line it got."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.paths: list[str] = []
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1]
            self.paths.append(path)
            length = next(
                (
                    int(v)
                    for k, _, v in (h.partition(":") for h in lines[1:])
                    if k.lower() == "content-length"
                ),
                0,
            )
            if length:
                await reader.readexactly(length)
            if path.startswith("/drip"):
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
                while True:
                    writer.write(b"x")
                    await writer.drain()
                    await asyncio.sleep(0.5)
            elif path.startswith("/bomb"):
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
                    + f"Content-Length: {len(_BOMB)}\r\nConnection: close\r\n\r\n".encode()
                    + _BOMB
                )
            elif path.startswith("/big"):
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(_BIG)}\r\nConnection: close\r\n\r\n".encode()
                    + _BIG
                )
            else:
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


def _flow(nodes: list[dict[str, Any]], trigger: dict[str, Any] | None = None) -> dict[str, Any]:
    ids = ["trigger", *(n["id"] for n in nodes)]
    return {
        "name": "neighbour test",
        "trigger": trigger or {"type": "event", "event": "contact.created"},
        "nodes": nodes,
        "edges": [{"source": a, "target": b} for a, b in itertools.pairwise(ids)],
        "goals": [],
        "settings": {},
    }


def _hook(node_id: str, url: str, **data: Any) -> dict[str, Any]:
    return {"id": node_id, "type": "webhook", "data": {"url": url, "method": "POST", **data}}


class Attacks:
    def __init__(self, stack: Stack, observer: Observer, receiver: Receiver) -> None:
        self.stack, self.observer, self.receiver = stack, observer, receiver
        self.base = f"http://127.0.0.1:{receiver.port}"
        self.clients: list[Api] = []

    def tenant(self) -> Api:
        api = Api(self.stack, f"attacker-{uuid.uuid4().hex[:8]}")
        self.clients.append(api)
        return api

    async def _webhook_tenant(self, nodes: list[dict[str, Any]], contacts: int) -> Api:
        api = self.tenant()
        await asyncio.to_thread(api.create_active, _flow(nodes))
        for i in range(contacts):
            await self.observer.publish(
                "contact.created",
                api.tenant,
                f"a-{i}",
                {"contact": {"attributes": {"path": "@evil.example/x"}}},
            )
        return api

    async def big_body(self) -> None:
        api = self.tenant()
        resp = await asyncio.to_thread(
            api.client.post,
            "/api/v1/workflows",
            content=b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}',
            headers={"content-type": "application/json"},
        )
        assert resp.status_code == 413, resp.text
        assert resp.json()["error"]["code"] == "payload_too_large"

    async def many_trigger_conditions(self) -> None:
        api = self.tenant()
        conditions = [{"field": f"attributes.a{i}", "operator": "equals", "value": i} for i in range(5000)]
        trigger = {"type": "event", "event": "contact.created", "conditions": conditions}
        definition = _flow([{"id": "t", "type": "add_tag", "data": {"tag": "x"}}], trigger)
        resp = await asyncio.to_thread(api.client.post, "/api/v1/workflows", json=definition)
        assert resp.status_code == 422, resp.text

    async def huge_simulation(self) -> None:
        api = self.tenant()
        # 400 KB of definition (under its 512 KiB cap); each of 150 runs would copy it into the answer.
        blob = "y" * 50_000
        nodes = [
            {"id": f"u{i}", "type": "update_contact", "data": {"attributes": {f"k{i}": blob}}}
            for i in range(8)
        ]
        created = await asyncio.to_thread(api.call, "POST", "", json=_flow(nodes), expect=201)
        events = [{"type": "contact.created", "at": i, "data": {"contact": {}}} for i in range(150)]
        resp = await asyncio.to_thread(
            api.client.post,
            f"/api/v1/workflows/{created['id']}/simulate",
            json={"contact": {"email": "s@example.com"}, "events": events},
        )
        assert resp.status_code == 422, resp.text[:500]

    async def drip(self) -> Api:
        # Ten contacts' calls hang on a server that drips its answer: they fill the tenant's slots.
        return await self._webhook_tenant([_hook("h", f"{self.base}/drip", timeoutMs=5000)], 10)

    async def gzip_bomb(self) -> Api:
        return await self._webhook_tenant([_hook("h", f"{self.base}/bomb")], 3)

    async def big_answers(self) -> Api:
        return await self._webhook_tenant(
            [_hook("h1", f"{self.base}/big/1"), _hook("h2", f"{self.base}/big/2")], 3
        )

    async def url_injection(self) -> Api:
        url = f"http://127.0.0.1:{self.receiver.port}" + "{{contact.attributes.path}}"
        return await self._webhook_tenant([_hook("h", url)], 2)


async def test_a_second_tenant_keeps_moving_during_every_attack(
    e2e_settings: Settings, tmp_path: Path
) -> None:
    stack = start_stack(e2e_settings, tmp_path / "stack")
    observer = Observer(stack)
    receiver = Receiver(stack.receiver_port)
    neighbour = Api(stack, f"neighbour-{uuid.uuid4().hex[:8]}")
    attacks = Attacks(stack, observer, receiver)
    try:
        await observer.open()
        await receiver.start()
        wf = (
            await asyncio.to_thread(
                neighbour.create_active, _flow([{"id": "t", "type": "add_tag", "data": {"tag": "ok"}}])
            )
        )["id"]
        plan: list[tuple[str, Callable[[], Coroutine[Any, Any, Any]]]] = [
            ("2 MB body", attacks.big_body),
            ("5,000 trigger conditions", attacks.many_trigger_conditions),
            ("huge simulation", attacks.huge_simulation),
            ("dripping server", attacks.drip),
            ("gzip bomb", attacks.gzip_bomb),
            ("600 KB answers", attacks.big_answers),
            ("URL template injection", attacks.url_injection),
        ]
        completed = 0
        attackers: dict[str, Any] = {}
        for n, (name, attack) in enumerate(plan):
            running = asyncio.create_task(attack())
            for i in range(BATCH):
                await observer.publish("contact.created", neighbour.tenant, f"n-{n}-{i}", {"contact": {}})
            attackers[name] = await running
            completed += BATCH
            runs = await asyncio.to_thread(
                neighbour.wait_runs, wf, count=completed, status="completed", timeout=90
            )
            assert len(runs) == completed, (
                f"during {name}: {len(runs)} of {completed} neighbour runs completed"
            )

        # The attacks did reach the worker: each webhook tenant's runs exist, none leaked to another host, and
        # the injected path never reached the receiver.
        for name in ("gzip bomb", "600 KB answers"):
            api = attackers[name]
            wf_id = await asyncio.to_thread(_only_workflow, api)
            await asyncio.to_thread(api.wait_runs, wf_id, count=3, timeout=90)
        injected = attackers["URL template injection"]
        injected_wf = await asyncio.to_thread(_only_workflow, injected)
        failed = await asyncio.to_thread(injected.wait_runs, injected_wf, count=2, status="failed")
        assert all("url" in (r.get("errorMessage") or "") for r in failed), failed
        assert not [p for p in receiver.paths if "evil" in p], receiver.paths
        assert any(p.startswith("/drip") for p in receiver.paths)
        health = await asyncio.to_thread(httpx.get, f"{stack.api}/healthz", timeout=5)
        assert health.status_code == 200
    finally:
        await receiver.stop()
        await observer.close()
        for api in [neighbour, *attacks.clients]:
            api.client.close()
        stack.stop()


def _only_workflow(api: Api) -> str:
    items = api.call("GET", "", params={"limit": 10})["items"]
    assert len(items) == 1, items
    return str(items[0]["id"])
