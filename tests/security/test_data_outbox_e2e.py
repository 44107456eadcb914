"""The issue's attack on the whole product: an oversized outbox row (as a 1.5 MB definition, trigger or
webhook call would write) is queued first. It is marked failed with its reason, the next activation still
reaches the worker (its runs start), and a second tenant's manual trigger, queued behind it in the same
outbox, runs to completion meanwhile."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.e2e.conftest import Api, Observer, start_stack
from tests.e2e.stack import Stack
from workflows import wire
from workflows.settings import Settings

pytestmark = pytest.mark.integration
BIG = 1_500_000


def _workflow(trigger: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "neighbour",
        "trigger": trigger,
        "nodes": [{"id": "n1", "type": "add_tag", "data": {"tag": "seen"}}],
        "edges": [{"source": "trigger", "target": "n1"}],
        "goals": [],
        "settings": {},
    }


def _dsn(settings: Settings) -> str:
    return settings.database_url.get_secret_value().replace("postgresql+asyncpg://", "postgresql://", 1)


async def _insert_oversized(stack: Stack, tenant: str) -> int:
    conn = await asyncpg.connect(_dsn(stack.settings))
    try:
        row_id: int = await conn.fetchval(
            "INSERT INTO outbox (topic, key, value, tenant_id) VALUES ($1, $2, $3, $4) RETURNING id",
            stack.settings.definitions_topic,
            wire.definition_key(str(uuid.uuid4()), 1),
            b"{" + b" " * BIG + b"}",
            tenant,
        )
        return row_id
    finally:
        await conn.close()


async def _row(stack: Stack, row_id: int) -> Any:
    conn = await asyncpg.connect(_dsn(stack.settings))
    try:
        return await conn.fetchrow("SELECT sent_at, failed_at, error FROM outbox WHERE id = $1", row_id)
    finally:
        await conn.close()


async def _forget(stack: Stack, row_id: int) -> None:
    """The e2e database's outbox is shared by every stack: never leave the oversized row behind."""
    conn = await asyncpg.connect(_dsn(stack.settings))
    try:
        await conn.execute("DELETE FROM outbox WHERE id = $1", row_id)
    finally:
        await conn.close()


async def test_oversized_outbox_row_marked_failed_while_the_next_activation_still_reaches_the_worker(
    e2e_settings: Settings, tmp_path: Path
) -> None:
    stack = start_stack(e2e_settings, tmp_path / "stack")
    observer = Observer(stack)
    attacker, neighbour = f"tenant-{uuid.uuid4().hex[:8]}", f"tenant-{uuid.uuid4().hex[:8]}"
    api, other = Api(stack, attacker), Api(stack, neighbour)
    big: int | None = None
    try:
        await observer.open()
        # The neighbour's workflow is live before the oversized row lands.
        manual = (await asyncio.to_thread(other.create_active, _workflow({"type": "manual"})))["id"]

        big = await _insert_oversized(stack, attacker)
        # Queued behind it: an activation of the attacker's tenant and the neighbour's manual trigger.
        created = await asyncio.to_thread(
            api.call, "POST", "", json=_workflow({"type": "event", "event": "contact.created"}), expect=201
        )
        wf = created["id"]
        await asyncio.to_thread(api.call, "POST", f"/{wf}/activate")
        triggered = await asyncio.to_thread(
            other.call, "POST", f"/{manual}/trigger", json={"contactId": "n-1", "data": {}}, expect=202
        )

        # The neighbour's run completes although its trigger was queued after the oversized row.
        runs = await asyncio.to_thread(other.wait_runs, manual, count=1, status="completed", timeout=60)
        assert runs[0]["id"] == triggered["runId"]
        # The row is marked failed with its reason, never sent.
        row = await _row(stack, big)
        assert row["sent_at"] is None
        assert row["failed_at"] is not None
        assert "too large" in row["error"]
        # The activation reached the worker: its event now starts a run of the attacker's workflow.
        await asyncio.sleep(2)  # a worker applies an activation within about a second
        await observer.publish("contact.created", attacker, "a-1", {"contact": {"email": "a@example.com"}})
        await asyncio.to_thread(api.wait_runs, wf, count=1, status="completed", timeout=60)

        # Visible to the tenant that wrote it, and in the API's metrics.
        failed = await asyncio.to_thread(api.client.get, "/api/v1/outbox/failed")
        assert [i["id"] for i in failed.json()["data"]["items"]] == [big]
        assert "too large" in failed.json()["data"]["items"][0]["error"]
        neighbours = await asyncio.to_thread(other.client.get, "/api/v1/outbox/failed")
        assert neighbours.json()["data"]["items"] == []
        # (The metric is checked in test_data_outbox.py: other stacks' relays share this database's outbox.)
    finally:
        if big is not None:
            await _forget(stack, big)
        await observer.close()
        api.client.close()
        other.client.close()
        stack.stop()
