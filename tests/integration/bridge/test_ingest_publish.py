"""`workflows publish events.<type>` sends the envelope type the bridge derives from the subject."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import orjson
import pytest

from bridge.jetstream import ensure_inbound
from tests.integration.bridge.conftest import Isolated

pytestmark = pytest.mark.integration


async def test_publishing_a_custom_event_names_its_type_without_the_namespace(isolated: Isolated) -> None:
    iso = isolated
    stream = await ensure_inbound(iso.js, iso.settings, iso.bridge)
    command = [sys.executable, "-m", "workflows.cli", "publish", "events.order.placed"]
    command += ["--tenant", "tenant-1", "--contact", "c-1", "--data", '{"orderId": "o-1"}']
    env = {**os.environ, **iso.env(), "WORKFLOWS_ENV": "development"}
    done = await asyncio.to_thread(
        subprocess.run, command, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr

    sub = await iso.js.pull_subscribe(iso.bridge.subject("events.>"), stream=stream)
    [message] = await sub.fetch(1, timeout=5)
    assert message.subject == iso.bridge.subject("events.order.placed")
    body = orjson.loads(message.data)
    assert body["type"] == "order.placed"
    assert body["data"] == {"orderId": "o-1"}
