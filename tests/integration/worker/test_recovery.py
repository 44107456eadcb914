"""Crash and rebalance: SIGKILL with timers pending (same folder, empty folder), a second worker leaving."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from workflows.settings import Settings

from .flows import onboarding
from .harness import Client, Stack, Worker, by_key, effects, envelope, read_all

pytestmark = pytest.mark.integration

CONTACTS = 30


@pytest.fixture
async def fresh_stack(services: Settings) -> AsyncIterator[Stack]:
    s = Stack(services.kafka_bootstrap_servers)
    await s.create_topics()
    yield s
    await s.delete_topics()


def _count(records: list[Any], subject: str, contacts: set[str], *, step: str | None = None) -> int:
    n = 0
    for r in records:
        if r.key.decode() not in contacts or dict(r.headers)["subject"].decode() != subject:
            continue
        if step is None or (effects([r])[0].get("step") or {}).get("status") == step:
            n += 1
    return n


async def _start_runs(stack: Stack, delay_s: int) -> set[str]:
    contacts = {f"k-{uuid.uuid4().hex[:8]}" for _ in range(CONTACTS)}
    async with Client(stack) as client:
        await client.publish_definition(onboarding("wf-crash", delay_s=delay_s, source="crash"))
        await client.send(
            *[
                envelope(f"e-{c}", "contact.created", c, {"contact": {"source": "crash"}})
                for c in sorted(contacts)
            ],
            batch=True,
        )
    records = await read_all(
        stack.bootstrap,
        stack.out,
        outputs=True,
        until=lambda rs: _count(rs, "workflow.node.executed", contacts, step="pending") == CONTACTS,
        within=45,
    )
    assert _count(records, "workflow.node.executed", contacts, step="pending") == CONTACTS
    return contacts


async def _all_completed(stack: Stack, contacts: set[str], within: float = 50) -> list[Any]:
    records = await read_all(
        stack.bootstrap,
        stack.out,
        outputs=True,
        until=lambda rs: _count(rs, "workflow.run.completed", contacts) == len(contacts),
        within=within,
        settle=3,
    )
    return [r for r in records if r.key.decode() in contacts]


@pytest.mark.parametrize("folder", ["same", "empty"])
async def test_sigkill_with_pending_timers(fresh_stack: Stack, tmp_path: Path, folder: str) -> None:
    data = tmp_path / "data"
    first = Worker(fresh_stack, data, "first").start()
    try:
        contacts = await _start_runs(fresh_stack, delay_s=6)
        # The runs now wait on their timers. (Killed within the few ms between a unit's outputs and its
        # changelog, a worker re-emits that unit's outputs on restart: same idempotency keys, same values.)
        await asyncio.sleep(1.5)
    finally:
        first.kill()
    if folder == "empty":
        shutil.rmtree(data)
    second = Worker(fresh_stack, data, "second").start()
    try:
        mine = await _all_completed(fresh_stack, contacts)
    finally:
        second.stop()
    assert _count(mine, "workflow.run.completed", contacts) == CONTACTS, second.tail()
    # Every timer fired once and every effect exists once by idempotency key.
    duplicates = {k: n for k, n in by_key(mine).items() if n > 1}
    assert not duplicates, list(duplicates.items())[:5]
    assert _count(mine, "workflow.node.executed", contacts, step="completed") == 3 * CONTACTS
    assert len(mine) == 7 * CONTACTS


async def test_stopping_one_of_two_workers_moves_its_partitions(fresh_stack: Stack, tmp_path: Path) -> None:
    one = Worker(fresh_stack, tmp_path / "one", "one").start()
    two = Worker(fresh_stack, tmp_path / "two", "two").start()
    try:
        contacts = await _start_runs(fresh_stack, delay_s=6)
        two.stop()
        mine = await _all_completed(fresh_stack, contacts)
    finally:
        one.stop()
        two.stop()
    assert _count(mine, "workflow.run.completed", contacts) == CONTACTS, one.tail()
    assert not {k: n for k, n in by_key(mine).items() if n > 1}
    assert len(mine) == 7 * CONTACTS
