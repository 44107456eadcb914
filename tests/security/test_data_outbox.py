"""A record Kafka refuses as too large never blocks the outbox (issue 10, item 3): the row is marked failed
with its reason, counted, shown to its tenant, and every row queued after it is published. Sent rows are
purged after the retention.

In-process relay against the real Kafka and PostgreSQL; the whole product (worker, second tenant) is in
``test_data_outbox_e2e.py``.
"""

from __future__ import annotations

import asyncio

import httpx
import orjson
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.config import ApiSettings
from api.outbox import repository as outbox
from api.outbox.relay import OutboxRelay
from tests.integration.api.conftest import TENANT_A, TENANT_B, create
from tests.integration.api.test_outbox_projector import read_topic
from workflows import wire
from workflows.settings import Settings

pytestmark = pytest.mark.integration
BASE = "/api/v1/workflows"
BIG = 1_500_000  # over the broker's default 1 MiB record limit


def _failed_total() -> float:
    return REGISTRY.get_sample_value("workflows_outbox_failed_total", {"reason": "too_large"}) or 0.0


async def _insert(engine: AsyncEngine, *, topic: str, key: bytes, value: bytes, tenant: str) -> int:
    async with engine.begin() as conn:
        row = await conn.execute(
            text(
                "INSERT INTO outbox (topic, key, value, tenant_id) VALUES (:t, :k, :v, :tenant) RETURNING id"
            ),
            {"t": topic, "k": key, "v": value, "tenant": tenant},
        )
        return int(row.scalar_one())


async def _row(engine: AsyncEngine, row_id: int) -> dict[str, object]:
    async with engine.connect() as conn:
        row = await conn.execute(
            text("SELECT sent_at, failed_at, error FROM outbox WHERE id = :id"), {"id": row_id}
        )
        return dict(row.one()._mapping)


async def _drain(relay: OutboxRelay, engine: AsyncEngine) -> None:
    for _ in range(20):
        await relay.drain()
        async with engine.connect() as conn:
            if await outbox.backlog(conn) == 0:
                return
        await asyncio.sleep(0.1)
    raise AssertionError("the outbox never drained")


async def test_oversized_row_is_marked_failed_and_later_rows_are_published(
    client: httpx.AsyncClient,
    as_a: dict[str, str],
    as_b: dict[str, str],
    engine: AsyncEngine,
    api_settings: Settings,
) -> None:
    before = _failed_total()
    # An oversized definition record, queued first, as a 1.5 MB definition would be.
    big_key = wire.definition_key("00000000-0000-4000-8000-00000000000a", 1)
    big = await _insert(
        engine, topic=api_settings.definitions_topic, key=big_key, value=b"x" * BIG, tenant=TENANT_A
    )
    # Then an ordinary activation of another tenant, queued behind it.
    wf = await create(client, as_b)
    assert (await client.post(f"{BASE}/{wf['id']}/activate", headers=as_b)).status_code == 200

    relay = OutboxRelay(api_settings, ApiSettings(outbox_batch_size=100), engine=engine)
    await relay.start()
    try:
        await asyncio.wait_for(_drain(relay, engine), timeout=30)
    finally:
        await relay.stop()

    row = await _row(engine, big)
    assert row["sent_at"] is None
    assert row["failed_at"] is not None
    assert "too large" in str(row["error"])
    assert str(BIG + len(big_key)) in str(row["error"])
    assert _failed_total() == before + 1
    records = await read_topic(api_settings, api_settings.definitions_topic)
    assert [r.key for r in records] == [wire.definition_key(wf["id"], 1), wire.active_key(wf["id"])]
    assert orjson.loads(records[-1].value)["version"] == 1

    # Visible to its tenant only, with the reason.
    seen = (await client.get("/api/v1/outbox/failed", headers=as_a)).json()["data"]["items"]
    assert [(i["id"], i["key"], i["size"]) for i in seen] == [(big, big_key.decode(), BIG)]
    assert "too large" in seen[0]["error"]
    assert (await client.get("/api/v1/outbox/failed", headers=as_b)).json()["data"]["items"] == []
    assert (await client.get("/api/v1/outbox/failed")).status_code == 401


async def test_a_record_the_broker_refuses_is_marked_failed_not_retried(
    client: httpx.AsyncClient, as_b: dict[str, str], engine: AsyncEngine, api_settings: Settings
) -> None:
    """The relay's own check passes (limit raised), the producer sends, and the broker answers
    MessageSizeTooLarge: the row is still marked failed, and the small rows batched with it are sent."""
    wf = await create(client, as_b)
    big = await _insert(
        engine, topic=api_settings.definitions_topic, key=b"k-big", value=b"y" * BIG, tenant=TENANT_B
    )
    assert (await client.post(f"{BASE}/{wf['id']}/activate", headers=as_b)).status_code == 200
    options = ApiSettings(outbox_batch_size=100, outbox_max_record_bytes=10 * BIG)
    relay = OutboxRelay(api_settings, options, engine=engine)
    await relay.start()
    try:
        await asyncio.wait_for(_drain(relay, engine), timeout=60)
    finally:
        await relay.stop()
    row = await _row(engine, big)
    assert row["failed_at"] is not None
    assert row["sent_at"] is None
    assert "broker refused" in str(row["error"])
    keys = [r.key for r in await read_topic(api_settings, api_settings.definitions_topic)]
    assert wire.active_key(wf["id"]) in keys


async def test_sent_rows_are_purged_after_the_retention_in_small_batches(
    engine: AsyncEngine, api_settings: Settings
) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO outbox (topic, key, value, tenant_id, sent_at) "
                "SELECT 'old', 'k', 'v', 't', now() - interval '8 days' FROM generate_series(1, 5)"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO outbox (topic, key, value, tenant_id, failed_at, error) "
                "VALUES ('old', 'k', 'v', 't', now() - interval '8 days', 'too large')"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO outbox (topic, key, value, tenant_id, sent_at) "
                "VALUES ('recent', 'k', 'v', 't', now() - interval '1 day')"
            )
        )
        await conn.execute(
            text("INSERT INTO outbox (topic, key, value, tenant_id) VALUES ('unsent', 'k', 'v', 't')")
        )
    relay = OutboxRelay(api_settings, ApiSettings(outbox_purge_batch=2), engine=engine)
    assert await relay.purge_once() == 3  # 2 sent + 1 failed: a small batch each time
    assert await relay.purge_once() == 2
    assert await relay.purge_once() == 1
    assert await relay.purge_once() == 0
    async with engine.connect() as conn:
        left = [r.topic for r in await conn.execute(text("SELECT topic FROM outbox ORDER BY id"))]
    assert left == ["recent", "unsent"]
