"""GET /api/v1/event-types: the subscribed types merged with the ones the bridge observed for the caller's
tenant, read from ``workflows.observations`` (real Kafka) by the projector, each record counted once."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.projector.observations import ObservationsReader
from tests.integration.api.conftest import QUIET, TENANT_A, TENANT_B
from workflows.settings import Settings
from workflows.wire import ObservedType, encode_observations

pytestmark = pytest.mark.integration
URL = "/api/v1/event-types"
T = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


@pytest.fixture
async def observed_settings(api_settings: Settings, engine: AsyncEngine) -> Settings:
    async with engine.begin() as conn:
        await conn.execute(text("TRUNCATE event_type_stats"))
    return api_settings.model_copy(update={"observations_topic": f"{api_settings.out_topic}.observations"})


async def _produce(settings: Settings, values: list[bytes]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        # workflows.out too: the projector reads it beside the observations.
        await admin.create_topics(
            [NewTopic(settings.observations_topic, 1, 1), NewTopic(settings.out_topic, 1, 1)]
        )
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(settings.observations_topic, value)
    finally:
        await producer.stop()


def _records() -> list[bytes]:
    return [
        encode_observations(
            [
                ObservedType(TENANT_A, "contact.created", 3, T),
                ObservedType(TENANT_A, "order.placed", 2, T + timedelta(seconds=5)),
                ObservedType(TENANT_B, "invoice.paid", 7, T),
            ],
            at=T + timedelta(seconds=10),
        ),
        b'{"kind": "something_newer"}',  # another kind: skipped, never retried
        encode_observations(
            [
                ObservedType(TENANT_A, "order.placed", 4, T + timedelta(seconds=15)),
                ObservedType("bad tenant\n", "x", 1, T),  # breaks the identifier rules: skipped
            ],
            at=T + timedelta(seconds=20),
        ),
    ]


def _by_type(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["type"]: item for item in data["items"]}


async def test_event_types_lists_subscribed_and_observed_types_of_the_callers_tenant(
    observed_settings: Settings, engine: AsyncEngine, as_a: dict[str, str], as_b: dict[str, str]
) -> None:
    await _produce(observed_settings, _records())
    options = QUIET.model_copy(
        update={"api_run_projector": True, "projector_group_id": f"read-types-{uuid.uuid4().hex[:8]}"}
    )
    app = create_app(observed_settings, api_settings=options)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client,
    ):
        deadline = time.monotonic() + 30
        types: dict[str, dict[str, Any]] = {}
        while time.monotonic() < deadline:
            resp = await client.get(URL, headers=as_a)
            assert resp.status_code == 200, resp.text
            types = _by_type(resp.json()["data"])
            if types.get("order.placed", {}).get("count") == 6:
                break
            await asyncio.sleep(0.3)
        theirs = _by_type((await client.get(URL, headers=as_b)).json()["data"])
        unauthenticated = await client.get(URL)

    assert types["order.placed"] == {
        "type": "order.placed",
        "subscribed": True,  # a custom type: the events.> namespace delivers it
        "count": 6,
        "lastSeenAt": "2026-11-28T09:00:15Z",
    }
    assert types["contact.created"]["count"] == 3
    assert types["form.submitted"] == {
        "type": "form.submitted",
        "subscribed": True,
        "count": 0,
        "lastSeenAt": None,
    }
    assert "contact.snapshot" not in types  # never starts a run: not offered
    assert "invoice.paid" not in types  # another tenant's
    assert theirs["invoice.paid"]["count"] == 7
    assert theirs["contact.created"]["count"] == 0
    assert unauthenticated.status_code == 401


async def test_observations_are_counted_once_when_read_again(
    observed_settings: Settings, engine: AsyncEngine
) -> None:
    await _produce(observed_settings, _records())
    for polls in (20, 3):  # a restarted reader (or a second API process) starts from the stored position
        reader = ObservationsReader(observed_settings, engine=engine)
        await reader.start()
        try:
            consumed = 0
            for _ in range(polls):
                consumed += await reader.step(timeout_ms=300)
                if consumed >= 3:
                    break
        finally:
            await reader.stop()
    async with engine.connect() as conn:
        rows = dict(
            (r.type, r.count)
            for r in await conn.execute(
                text("SELECT type, count FROM event_type_stats WHERE tenant_id = :t"), {"t": TENANT_A}
            )
        )
    assert rows == {"contact.created": 3, "order.placed": 6}
