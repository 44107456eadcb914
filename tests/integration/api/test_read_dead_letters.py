"""Against the real Kafka and PostgreSQL: a ``workflows.out`` record the projector cannot store goes to
``projector_dead_letters`` with its reason, and the runs produced after it still appear in the API."""

from __future__ import annotations

import asyncio
import copy
import time
import uuid
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api import metrics
from api.app import create_app
from tests.integration.api.conftest import QUIET, create
from tests.integration.api.runs_helpers import effects_for
from workflows.settings import Settings

pytestmark = pytest.mark.integration
BASE = "/api/v1/workflows"


def _with(effect: dict[str, Any], **changes: Any) -> dict[str, Any]:
    broken = copy.deepcopy(effect)
    for path, value in changes.items():
        target = broken
        *parents, last = path.split("__")
        for name in parents:
            target = target[name]
        target[last] = value
    return broken


async def _produce(settings: Settings, records: list[tuple[bytes, bytes]]) -> None:
    from aiokafka import AIOKafkaProducer
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(settings.out_topic, 1, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        for key, value in records:
            # One partition: the bad records come first in the same log as the good run.
            await producer.send_and_wait(settings.out_topic, value, key=key, partition=0)
    finally:
        await producer.stop()


async def test_unstorable_records_are_dead_lettered_and_later_runs_appear(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine, api_settings: Settings
) -> None:
    options = QUIET.model_copy(
        update={"api_run_projector": True, "projector_group_id": f"read-dlq-{uuid.uuid4().hex[:8]}"}
    )
    wf = await create(client, as_a)
    started = next(e for e in effects_for(wf, contact="bad") if e["subject"] == "workflow.run.started")
    bad = [
        # A NUL in contactId breaks the shared identifier rules (and PostgreSQL refuses it in text).
        orjson.dumps(_with(started, contactId="c\x00nul")),
        # A NUL deep in a text value: PostgreSQL refuses it in JSONB.
        orjson.dumps(_with(started, run__errorMessage="boom\x00", runId=str(uuid.uuid4()))),
        # Decodes, but a 64-bit version does not fit the column: refused by the database alone.
        orjson.dumps(_with(started, run__workflowVersion=2**40, runId=str(uuid.uuid4()))),
        b'{"kind": "run_event", "run": ',  # not JSON
    ]
    good = effects_for(wf, contact="c-after")
    await _produce(
        api_settings,
        [(b"bad", value) for value in bad] + [(e["contactId"].encode(), orjson.dumps(e)) for e in good],
    )
    before = {
        k: metrics.PROJECTOR_DEAD_LETTERS.labels(k)._value.get() for k in ("undecodable", "database_refused")
    }

    app = create_app(api_settings, api_settings=options)  # the API with its projector running
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as live,
    ):
        deadline = time.monotonic() + 30
        items: list[Any] = []
        while time.monotonic() < deadline:
            resp = await live.get(f"{BASE}/{wf['id']}/runs", params={"contactId": "c-after"}, headers=as_a)
            items = resp.json()["data"]["items"]
            if items and items[0]["status"] == "completed":
                break
            await asyncio.sleep(0.3)
        assert [r["status"] for r in items] == ["completed"], (
            "a run produced after bad records never appeared"
        )

    async with engine.connect() as conn:
        rows = list(
            await conn.execute(
                text(
                    'SELECT "offset", key, value, reason FROM projector_dead_letters WHERE topic = :t '
                    'ORDER BY "offset"'
                ),
                {"t": api_settings.out_topic},
            )
        )
        runs = await conn.scalar(
            text("SELECT count(*) FROM workflow_runs WHERE workflow_id = :w"), {"w": uuid.UUID(wf["id"])}
        )
    assert [(r.offset, r.key, r.value) for r in rows] == [(i, b"bad", v) for i, v in enumerate(bad)]
    reasons = [r.reason for r in rows]
    assert "contactId contains the control character U+0000" in reasons[0]
    assert "NUL character" in reasons[1]
    assert reasons[2].startswith("a value does not fit") or "SQLSTATE 22" in reasons[2]
    assert reasons[3].startswith("not JSON")
    assert runs == 1  # only the good run: nothing of the bad records was stored
    after = {k: metrics.PROJECTOR_DEAD_LETTERS.labels(k)._value.get() for k in before}
    assert after["undecodable"] - before["undecodable"] == 3
    assert after["database_refused"] - before["database_refused"] == 1
