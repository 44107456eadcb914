"""End-to-end fixtures: a database of its own, a running stack, an API client and a NATS observer."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import nats
import orjson
import pytest
from nats.js.api import ConsumerConfig, DeliverPolicy
from pydantic import SecretStr

from api.auth import mint_token
from tests.e2e.stack import Stack
from tests.migrations import migrate_disposable
from workflows.settings import Settings
from workflows.subjects import event_type_of
from workflows.wire import envelope

E2E_DB = "workflows_e2e"


@pytest.fixture(scope="session")
def e2e_settings(services: Settings) -> Settings:
    url = services.database_url.get_secret_value()
    base, _, _name = url.rpartition("/")

    async def _create() -> None:
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
        try:
            if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", E2E_DB):
                await conn.execute(f'CREATE DATABASE "{E2E_DB}"')
        finally:
            await conn.close()

    asyncio.run(_create())
    settings = services.model_copy(update={"database_url": SecretStr(f"{base}/{E2E_DB}")})
    migrate_disposable(settings)
    return settings


def start_stack(settings: Settings, folder: Path, *, workers: int = 1) -> Stack:
    stack = Stack(settings, folder, workers=workers)
    stack.start()
    return stack


@pytest.fixture(scope="module")
def stack(e2e_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    s = start_stack(e2e_settings, tmp_path_factory.mktemp("stack"))
    try:
        yield s
    finally:
        codes = s.stop()
        print(f"stack exit codes: {codes}")


class Api:
    """A tenant's view of the API: every call checks the envelope."""

    def __init__(self, stack: Stack, tenant: str) -> None:
        self.stack = stack
        token = mint_token(stack.settings, tenant_id=tenant, user_id=str(uuid.uuid4()))
        self.tenant = tenant
        self.client = httpx.Client(
            base_url=stack.api, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )

    def call(self, method: str, path: str = "", *, expect: int = 200, **kwargs: Any) -> Any:
        resp = self.client.request(method, f"/api/v1/workflows{path}", **kwargs)
        assert resp.status_code == expect, f"{method} {path}: {resp.status_code} {resp.text}"
        body = resp.json()
        assert body["success"] is (expect < 400), body
        return body.get("data", body.get("error"))

    def create_active(self, definition: dict[str, Any]) -> dict[str, Any]:
        created = self.call("POST", "", json=definition, expect=201)
        return self.activate(created["id"])

    def change(self, method: str, path: str, **kwargs: Any) -> Any:
        """A definition change, then wait until every worker applied it (propagation is asynchronous)."""
        data = self.call(method, path, **kwargs)
        self.stack.wait_definitions_synced()
        return data

    def activate(self, workflow_id: str) -> dict[str, Any]:
        return dict(self.change("POST", f"/{workflow_id}/activate"))

    def pause(self, workflow_id: str) -> dict[str, Any]:
        return dict(self.change("POST", f"/{workflow_id}/pause"))

    def runs(self, workflow_id: str, **params: Any) -> list[dict[str, Any]]:
        return list(self.call("GET", f"/{workflow_id}/runs", params={"limit": 100, **params})["items"])

    def wait_runs(
        self, workflow_id: str, *, count: int, status: str | None = None, timeout: float = 60
    ) -> list[Any]:
        deadline = time.monotonic() + timeout
        runs: list[Any] = []
        while time.monotonic() < deadline:
            runs = self.runs(workflow_id, **({"status": status} if status else {}))
            if len(runs) >= count:
                return runs
            time.sleep(0.3)
        raise AssertionError(f"expected {count} runs ({status}), found {len(runs)}: {runs}")


@pytest.fixture
def api(stack: Stack) -> Iterator[Api]:
    client = Api(stack, tenant=f"tenant-{uuid.uuid4().hex[:8]}")
    yield client
    client.client.close()


class Observer:
    """Everything the product published to NATS under the stack's prefix (the outbound stream)."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.prefix = stack.prefix
        self.nc: Any = None

    async def open(self) -> None:
        self.nc = await nats.connect(self.stack.settings.nats_url)

    async def close(self) -> None:
        await self.nc.close()

    async def publish(
        self, kind: str, tenant: str, contact: str, data: dict[str, Any], *, event_id: str | None = None
    ) -> str:
        # ``kind`` is the subject: events.order.placed carries the type order.placed.
        message = envelope(
            event_type_of(kind), tenant_id=tenant, contact_id=contact, data=data, event_id=event_id
        )
        js = self.nc.jetstream()
        for _ in range(50):  # the bridge creates the inbound stream when it starts
            with contextlib.suppress(nats.js.errors.NoStreamResponseError):
                await js.publish(
                    f"{self.prefix}{kind}", orjson.dumps(message), headers={"Nats-Msg-Id": message["id"]}
                )
                return str(message["id"])
            await asyncio.sleep(0.2)
        raise AssertionError("no JetStream stream captures the inbound subjects: is the bridge up?")

    async def messages(self, subject: str = ">") -> list[tuple[str, dict[str, Any], dict[str, str]]]:
        """All messages on the outbound stream so far (subject without prefix, body, headers)."""
        js = self.nc.jetstream()
        stream = self.stack.env["WORKFLOWS_BRIDGE_OUTBOUND_STREAM"]
        try:
            info = await js.stream_info(stream)
        except nats.js.errors.NotFoundError:
            return []
        total = info.state.messages
        if total == 0:
            return []
        sub = await js.pull_subscribe(
            f"{self.prefix}{subject}",
            stream=stream,
            config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL, inactive_threshold=30.0),
        )
        out = []
        try:
            while True:
                try:
                    batch = await sub.fetch(1000, timeout=1)
                except (nats.errors.TimeoutError, TimeoutError):
                    break
                for m in batch:
                    out.append(
                        (m.subject.removeprefix(self.prefix), orjson.loads(m.data), dict(m.headers or {}))
                    )
                    await m.ack()
        finally:
            await sub.unsubscribe()
        return out

    async def messages_of(self, subject: str) -> list[dict[str, Any]]:
        return [body for _s, body, _h in await self.messages(subject)]

    async def wait_for(self, predicate: Any, *, within: float = 60, what: str = "") -> list[Any]:
        deadline = time.monotonic() + within
        found: list[Any] = []
        while time.monotonic() < deadline:
            found = await self.messages()
            if predicate(found):
                return found
            await asyncio.sleep(0.5)
        raise AssertionError(f"timed out waiting for {what}; saw subjects {[s for s, _, _ in found]}")


@pytest.fixture
async def nats_io(stack: Stack) -> AsyncIterator[Observer]:
    observer = Observer(stack)
    await observer.open()
    try:
        yield observer
    finally:
        await observer.close()
