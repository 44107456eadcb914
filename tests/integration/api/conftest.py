"""API fixtures: the migrated test database, a fresh app per test on emptied tables, tokens per tenant."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from api.app import create_app
from api.auth import mint_token
from api.config import ApiSettings
from workflows.settings import Settings

TABLES = (
    "workflow_schedules, workflow_run_steps, workflow_runs, workflow_node_counters, workflow_run_counters, "
    "workflow_versions, outbox, workflows"
)
TENANT_A = "tenant-a"
TENANT_B = "tenant-b"
USER = "7b0c5a52-9a7e-4c8e-8f35-1f2a3b4c5d6e"


@pytest.fixture(scope="session")
def migrated(services: Settings) -> Settings:
    from tests.migrations import migrate_disposable

    migrate_disposable(services)
    return services


@pytest.fixture
def api_settings(migrated: Settings) -> Settings:
    """Unique topic names: other test runs share this Kafka."""
    prefix = f"t{uuid.uuid4().hex[:12]}"
    return migrated.model_copy(
        update={
            "definitions_topic": f"{prefix}.definitions",
            "events_topic": f"{prefix}.events",
            "out_topic": f"{prefix}.out",
            "events_partitions": 3,
        }
    )


QUIET = ApiSettings(api_run_relay=False, api_run_projector=False, api_run_stats_reconcile=False)


@pytest.fixture
async def engine(migrated: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(migrated.database_url.get_secret_value())
    async with engine.begin() as conn:
        # Each test starts from empty tables (only this suite uses the test database).
        await conn.execute(text(f"TRUNCATE {TABLES} CASCADE"))
    yield engine
    await engine.dispose()


@pytest.fixture
async def app(api_settings: Settings, engine: AsyncEngine) -> AsyncIterator[FastAPI]:
    application = create_app(api_settings, api_settings=QUIET)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as c:
        yield c


def auth(settings: Settings, tenant: str = TENANT_A, user: str = USER) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(settings, tenant_id=tenant, user_id=user)}"}


@pytest.fixture
def as_a(api_settings: Settings) -> dict[str, str]:
    return auth(api_settings, TENANT_A)


@pytest.fixture
def as_b(api_settings: Settings) -> dict[str, str]:
    return auth(api_settings, TENANT_B)


def definition(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "New User Onboarding",
        "description": "Welcome sequence for new signups",
        "trigger": {"type": "event", "event": "contact.created"},
        "nodes": [
            {
                "id": "node-1",
                "type": "send_email",
                "position": {"x": 0, "y": 0},
                "data": {"templateId": "tpl-1"},
            },
            {"id": "node-2", "type": "delay", "data": {"duration": 60, "unit": "seconds"}},
            {"id": "node-3", "type": "add_tag", "data": {"tag": "welcomed"}},
        ],
        "edges": [
            {"source": "trigger", "target": "node-1"},
            {"source": "node-1", "target": "node-2"},
            {"source": "node-2", "target": "node-3"},
        ],
        "goals": [],
        "settings": {},
    }
    body.update(overrides)
    return body


async def create(client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    resp = await client.post("/api/v1/workflows", json=definition(**overrides), headers=headers)
    assert resp.status_code == 201, resp.text
    data: dict[str, Any] = resp.json()["data"]
    return data


async def outbox_rows(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as conn:
        return list(await conn.execute(text("SELECT topic, key, value, sent_at FROM outbox ORDER BY id")))
