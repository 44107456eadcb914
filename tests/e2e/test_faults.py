"""Faults under load: processes SIGKILLed at random moments, services restarted one at a time.

Afterwards every expected run exists with the right final status, every due timer fired, and
``pipeline.message.send`` carries each idempotency key exactly once after JetStream dedupe.
The counts (expected, found, duplicates, lost) are printed.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Api, Observer, start_stack
from tests.e2e.flows import node, on_created
from tests.e2e.stack import Stack
from workflows.services.base import Service
from workflows.services.kafka import Kafka
from workflows.services.nats import Nats
from workflows.services.postgres import Postgres
from workflows.settings import Settings

pytestmark = pytest.mark.integration

EVENTS = int(os.environ.get("WORKFLOWS_FAULT_EVENTS", "50000"))
RUN_SHARE = 5  # one event in five is a contact.created that starts a run; the rest are profile updates


def _flow() -> dict[str, Any]:
    return on_created(
        node("hello", "send_email", templateId="t-hello"),
        node("wait", "delay", duration=3, unit="seconds"),
        node("again", "send_email", templateId="t-again"),
        name="fault-flow",
    )


async def _publish_load(observer: Observer, tenant: str, total: int) -> set[str]:
    """Publish `total` events in concurrent slices; returns the contacts whose created event starts a run."""
    runs: set[str] = set()
    batch: list[Any] = []
    for i in range(total):
        who = f"f-{i // RUN_SHARE:06d}"
        if i % RUN_SHARE == 0:
            runs.add(who)
            batch.append(
                observer.publish("contact.created", tenant, who, {"contact": {"n": i}}, event_id=f"ev-{i}")
            )
        else:
            batch.append(
                observer.publish("contact.updated", tenant, who, {"changes": {"n": i}}, event_id=f"ev-{i}")
            )
        if len(batch) >= 500:
            await asyncio.gather(*batch)
            batch.clear()
    await asyncio.gather(*batch)
    return runs


async def _chaos(stack: Stack, rng: random.Random, until: asyncio.Event, log: list[str]) -> None:
    """Kill one process at a random moment, restart it a moment later, until the load is in and every
    kind of process (bridge, each worker, API) was killed at least once, in a random order."""
    names = list(stack.processes)
    order: list[str] = []
    killed: set[str] = set()
    while not (until.is_set() and killed >= set(names)):
        if not order:
            order = rng.sample(names, len(names))
        victim = order.pop()
        await asyncio.sleep(rng.uniform(0.5, 2.0))
        stack.kill(victim)
        killed.add(victim)
        log.append(f"{time.monotonic():.1f} SIGKILL {victim}")
        await asyncio.sleep(rng.uniform(0.2, 1.5))
        stack.restart(victim)


async def _completed(observer: Observer, expected: set[str], *, within: float) -> set[str]:
    """Contacts whose run completed, polled until all expected ones did or `within` seconds passed."""
    deadline = time.monotonic() + within
    completed: set[str] = set()
    while time.monotonic() < deadline:
        completed = {m["contactId"] for m in await observer.messages_of("workflow.run.completed")}
        if completed >= expected:
            break
        await asyncio.sleep(2)
    return completed


async def _send_keys(observer: Observer) -> Counter[str]:
    return Counter(h.get("Nats-Msg-Id", "") for s, _m, h in await observer.messages("pipeline.message.send"))


@pytest.mark.parametrize("workers", [1, 2])
async def test_sigkill_worker_bridge_and_api_under_load(
    e2e_settings: Settings, tmp_path: Path, workers: int, capsys: pytest.CaptureFixture[str]
) -> None:
    seed = int(os.environ.get("WORKFLOWS_FAULT_SEED", str(random.SystemRandom().randrange(1 << 30))))
    rng = random.Random(seed)
    stack = start_stack(e2e_settings, tmp_path / "stack", workers=workers)
    api = Api(stack, tenant=f"tenant-faults-{uuid.uuid4().hex[:6]}")
    observer = Observer(stack)
    await observer.open()
    killed: list[str] = []
    try:
        wf = api.create_active(_flow())
        done = asyncio.Event()
        chaos = asyncio.create_task(_chaos(stack, rng, done, killed))
        started = time.monotonic()
        expected = await _publish_load(observer, api.tenant, EVENTS)
        await asyncio.sleep(rng.uniform(0.5, 2.0))  # one more fault after the last publish, timers pending
        done.set()
        await chaos
        for p in stack.processes.values():
            if not p.alive():
                p.start()
        stack.wait_api()

        completed = await _completed(observer, expected, within=240)
        keys = await _send_keys(observer)
        duplicates = sum(c - 1 for c in keys.values() if c > 1)
        lost = expected - completed
        with capsys.disabled():  # the counts belong in the test command's output, pass or fail
            print(
                f"\nfault test workers={workers} seed={seed} events={EVENTS} kills={len(killed)} "
                f"expected runs={len(expected)} completed={len(completed & expected)} lost={len(lost)} "
                f"sends expected={2 * len(expected)} found={len(keys)} duplicate sends={duplicates} "
                f"elapsed={time.monotonic() - started:.0f}s\n" + "\n".join(killed)
            )
        assert {k.split()[-1] for k in killed} == set(stack.processes), killed
        assert not lost, f"runs lost: {sorted(lost)[:10]}"
        assert len(keys) == 2 * len(expected)  # both sends of every run: every due timer fired
        assert duplicates == 0

        projected = 0
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            stats = api.call("GET", f"/{wf['id']}/stats")
            projected = stats["completedRuns"]
            if projected == len(expected) and stats["totalRuns"] == len(expected):
                break
            await asyncio.sleep(2)
        assert (stats["totalRuns"], stats["completedRuns"], stats["runningRuns"]) == (len(expected),) * 2 + (
            0,
        )
    finally:
        await observer.close()
        stack.stop()


@pytest.mark.parametrize("service", ["kafka", "postgres", "nats"])
async def test_a_service_restart_is_survived(e2e_settings: Settings, tmp_path: Path, service: str) -> None:
    stack = start_stack(e2e_settings, tmp_path / "stack")
    api = Api(stack, tenant=f"tenant-restart-{uuid.uuid4().hex[:6]}")
    observer = Observer(stack)
    await observer.open()
    factories: dict[str, Callable[[Settings], Service]] = {"kafka": Kafka, "postgres": Postgres, "nats": Nats}
    managed = factories[service](Settings())
    try:
        api.create_active(_flow())
        before = await _publish_load(observer, api.tenant, 500)
        # The service manager is synchronous (it probes with asyncio.run): keep it off this test's loop.
        await asyncio.to_thread(managed.down)
        await asyncio.sleep(3)
        await asyncio.to_thread(managed.up)
        await observer.close()
        await (
            observer.open()
        )  # the test's own connection does not matter; the product's processes must recover
        after = await _publish_load_offset(observer, api.tenant, 500)
        expected = before | after
        completed = await _completed(observer, expected, within=180)
        print(f"\n{service} restart: expected runs={len(expected)} completed={len(completed & expected)}")
        assert completed >= expected
        assert all(p.alive() for p in stack.processes.values()), {n: stack.tail(n) for n in stack.processes}
    finally:
        await observer.close()
        stack.stop()


async def _publish_load_offset(observer: Observer, tenant: str, total: int) -> set[str]:
    runs: set[str] = set()
    for i in range(total):
        who = f"g-{i // RUN_SHARE:06d}"
        kind = "contact.created" if i % RUN_SHARE == 0 else "contact.updated"
        if kind == "contact.created":
            runs.add(who)
        await observer.publish(
            kind, tenant, who, {"contact": {}} if kind == "contact.created" else {}, event_id=f"g-{i}"
        )
    return runs
