"""What the worker security tests share: a real worker on its own topics, and loopback HTTP receivers."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.integration.worker.flows import node, workflow
from tests.integration.worker.harness import Client, Stack, Worker, effects, envelope, read_all


@dataclass
class Receiver:
    """A loopback webhook receiver: answers after ``delay`` s with ``body``; records each Idempotency-Key and
    applies a key's effect once (what a well-behaved receiver does with repeats)."""

    delay: float = 0.0
    body: bytes = b'{"ok": true}'
    keys: list[str] = field(default_factory=list)
    applied: dict[str, int] = field(default_factory=dict)
    port: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        key = request.headers.get("Idempotency-Key", "")
        self.keys.append(key)
        await asyncio.sleep(self.delay)
        if key and key not in self.applied:
            self.applied[key] = 1
        return web.Response(body=self.body, content_type="application/json")


@asynccontextmanager
async def serving(receiver: Receiver) -> AsyncIterator[Receiver]:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    receiver.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield receiver
    finally:
        await runner.cleanup()


def start_worker(stack: Stack, base: Path, name: str, *, port: int, **env: str) -> Worker:
    """A worker that may call the loopback receiver on ``port`` (allow-listed as the tests' settings)."""
    settings = {
        "WORKFLOWS_EXECUTOR_ALLOW_HOSTS": '["127.0.0.1"]',
        "WORKFLOWS_EXECUTOR_ALLOW_PORTS": json.dumps([port]),
        **env,
    }
    return Worker(stack, base / "data", name, **settings).start()


def webhook_flow(workflow_id: str, tenant: str, url: str, *, then_delay: bool = False) -> dict[str, Any]:
    nodes = [node("h1", "webhook", url=url, body={"n": "{{contact.id}}"})]
    if then_delay:
        nodes += [node("h2", "webhook", url=url), node("d", "delay", duration=3600, unit="seconds")]
    return {**workflow(workflow_id, nodes), "tenantId": tenant}


def email_flow(workflow_id: str, tenant: str) -> dict[str, Any]:
    flow = workflow(workflow_id, [node("m", "send_email", templateId="tpl-1", fromEmail="a@b.test")])
    return {**flow, "tenantId": tenant}


def created(event_id: str, contact: str, tenant: str) -> dict[str, Any]:
    return envelope(event_id, "contact.created", contact, {"contact": {}}, tenant=tenant)


async def run_statuses(
    stack: Stack, *, until: Callable[[dict[str, str]], bool], within: float
) -> dict[str, str]:
    """runId -> its last lifecycle status seen on workflows.out, once ``until`` holds (or the time is up)."""

    def latest(records: list[Any]) -> dict[str, str]:
        status: dict[str, str] = {}
        for e in effects(records):
            subject = e.get("subject") or ""
            if subject.startswith("workflow.run.") and e.get("runId"):
                status[e["runId"]] = subject.removeprefix("workflow.run.")
        return status

    records = await read_all(
        stack.bootstrap, stack.out, outputs=True, until=lambda rs: until(latest(rs)), within=within
    )
    return latest(records)


async def wait_for(predicate: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


__all__ = ["Client", "Receiver", "Stack", "Worker", "created", "email_flow", "serving", "start_worker"]
