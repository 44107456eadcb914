"""Backfill end to end: contacts created before a workflow existed are enrolled by a replay, once."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import pytest

from tests.e2e.conftest import Api, Observer
from tests.e2e.flows import contact, node, on_created
from tests.e2e.stack import Stack

pytestmark = pytest.mark.integration


def _replay(stack: Stack, since_ms: int) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "workflows.cli", "replay", "--from", str(since_ms)],
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


async def test_replay_enrols_earlier_contacts_once(stack: Stack, api: Api, nats_io: Observer) -> None:
    since = int(time.time() * 1000) - 1000
    early = [contact() for _ in range(3)]
    applied = stack.events_processed()
    for who in early:
        await nats_io.publish("contact.created", api.tenant, who, {"contact": {"source": "early"}})
    stack.wait_events_processed(applied + len(early))  # the worker saw them with no workflow to start
    wf = api.create_active(on_created(node("mail", "send_email", templateId="t-backfill"), name="backfill"))

    out = _replay(stack, since)
    assert wf["id"] in out
    runs = api.wait_runs(wf["id"], count=3, status="completed")
    assert {r["contactId"] for r in runs} == set(early)
    assert all(r["triggerEvent"].get("replayed") is True for r in runs)

    _replay(stack, since)  # a second replay offers the same events again ...
    await asyncio.sleep(3)
    assert len(api.runs(wf["id"])) == 3  # ... and enrols nobody twice
