"""Webhook trigger tokens are credentials: header form, hashed at rest, rotatable, rate-limited, and
never printed in the access log."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.db.migrate import upgrade
from api.hooks.access_log import HookTokenFilter
from tests.integration.api.conftest import QUIET, create
from tests.security.edge_server import serving
from workflows.settings import Settings

pytestmark = pytest.mark.integration

BASE = "/api/v1/workflows"
HOOKS = "/api/v1/hooks"


async def _webhook_workflow(client: httpx.AsyncClient, headers: dict[str, str]) -> tuple[str, str]:
    wf = await create(client, headers, trigger={"type": "webhook"})
    assert (await client.post(f"{BASE}/{wf['id']}/activate", headers=headers)).status_code == 200
    return wf["id"], wf["webhookToken"]


async def test_the_token_works_in_the_x_workflow_token_header(
    client: httpx.AsyncClient, as_a: dict[str, str]
) -> None:
    _wf, token = await _webhook_workflow(client, as_a)
    resp = await client.post(HOOKS, json={"contactId": "c1"}, headers={"X-Workflow-Token": token})
    assert resp.status_code == 202, resp.text
    assert (await client.post(HOOKS, json={"contactId": "c1"})).status_code == 404
    wrong = {"X-Workflow-Token": "w" * 43}
    assert (await client.post(HOOKS, json={"contactId": "c1"}, headers=wrong)).status_code == 404
    assert (await client.post(f"{HOOKS}/{token}", json={"contactId": "c1"})).status_code == 202


async def test_the_token_is_shown_once_and_stored_as_its_hash(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine
) -> None:
    wf_id, token = await _webhook_workflow(client, as_a)
    detail = (await client.get(f"{BASE}/{wf_id}", headers=as_a)).json()["data"]
    assert detail["webhookToken"] is None
    assert detail["hasWebhookToken"] is True
    async with engine.connect() as conn:
        row = (await conn.execute(text(f"SELECT * FROM workflows WHERE id = '{wf_id}'"))).mappings().one()
    assert token not in {str(v) for v in row.values()}
    assert row["webhook_token_hash"] == hashlib.sha256(token.encode()).hexdigest()


async def test_rotation_returns_a_new_token_once_and_the_old_one_stops_working(
    client: httpx.AsyncClient, as_a: dict[str, str], as_b: dict[str, str]
) -> None:
    wf_id, old = await _webhook_workflow(client, as_a)
    rotate = f"{BASE}/{wf_id}/webhook-token/rotate"
    assert (await client.post(rotate)).status_code == 401
    assert (await client.post(rotate, headers=as_b)).status_code == 404  # another tenant's workflow
    resp = await client.post(rotate, headers=as_a)
    assert resp.status_code == 200, resp.text
    new = resp.json()["data"]["webhookToken"]
    assert new != old
    assert len(new) >= 32
    body = {"contactId": "c1"}
    assert (await client.post(HOOKS, json=body, headers={"X-Workflow-Token": old})).status_code == 404
    assert (await client.post(f"{HOOKS}/{old}", json=body)).status_code == 404
    assert (await client.post(HOOKS, json=body, headers={"X-Workflow-Token": new})).status_code == 202
    assert (await client.get(f"{BASE}/{wf_id}", headers=as_a)).json()["data"]["webhookToken"] is None
    plain = await create(client, as_a)
    assert (await client.post(f"{BASE}/{plain['id']}/webhook-token/rotate", headers=as_a)).status_code == 409


@pytest.fixture
async def limited(api_settings: Settings, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    options = QUIET.model_copy(update={"webhook_burst": 5, "webhook_rate_per_s": 0.5})
    application = create_app(api_settings, api_settings=options)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as c:
            yield c


async def test_a_burst_gets_429_with_retry_after(limited: httpx.AsyncClient, as_a: dict[str, str]) -> None:
    _wf, token = await _webhook_workflow(limited, as_a)
    _other, other_token = await _webhook_workflow(limited, as_a)
    statuses = []
    for n in range(8):
        resp = await limited.post(HOOKS, json={"contactId": f"c{n}"}, headers={"X-Workflow-Token": token})
        statuses.append(resp.status_code)
    assert statuses[:5] == [202] * 5
    assert 429 in statuses[5:]
    assert int(resp.headers["Retry-After"]) >= 1
    assert resp.json()["error"]["code"] == "rate_limited"
    # The bucket is per token: another workflow's caller is not affected.
    ok = await limited.post(HOOKS, json={"contactId": "c1"}, headers={"X-Workflow-Token": other_token})
    assert ok.status_code == 202


def test_the_access_log_filter_masks_hook_tokens() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "POST", "/api/v1/hooks/SECRET-token-1234567890?x=1", "1.1", 202), None,
    )  # fmt: skip
    HookTokenFilter().filter(record)
    line = record.getMessage()
    assert "SECRET" not in line
    assert '"POST /api/v1/hooks/***?x=1 HTTP/1.1" 202' in line


async def test_the_access_log_of_a_real_server_never_shows_the_token(
    app: FastAPI, as_a: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as c:
        _wf, token = await _webhook_workflow(c, as_a)
    caplog.set_level(logging.INFO, logger="uvicorn.access")
    async with serving(app) as base, httpx.AsyncClient(base_url=base) as http:
        resp = await http.post(f"{HOOKS}/{token}", json={"contactId": "c1"})
        assert resp.status_code == 202
    lines = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    assert any("/api/v1/hooks/***" in line for line in lines), lines
    assert not any(token in line for line in lines)


async def test_migration_0004_hashes_existing_plaintext_tokens(migrated: Settings) -> None:
    """On a database of its own: the shared test database stays at head for everyone else."""
    name = f"workflows_edge_{uuid.uuid4().hex[:10]}"
    base_url = migrated.database_url.get_secret_value()
    admin_dsn = base_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        own = migrated.model_copy(update={"database_url": type(migrated.database_url)(
            base_url.rpartition("/")[0] + "/" + name)})  # fmt: skip
        await asyncio.to_thread(upgrade, own, revision="0003")
        conn = await asyncpg.connect(admin_dsn.rpartition("/")[0] + "/" + name)
        try:
            token = "legacy-plaintext-token-0123456789abcdef"
            await conn.execute(
                "INSERT INTO workflows (id, tenant_id, name, status, version, trigger, nodes, edges, goals,"
                " settings, stats, webhook_token, created_by) VALUES ($1, 'acme', 'w', 'active', 1,"
                " '{\"type\": \"webhook\"}', '[]', '[]', '[]', '{}', '{}', $2, $1)",
                uuid.uuid4(), token,
            )  # fmt: skip
            await asyncio.to_thread(upgrade, own, revision="0004")
            found = await conn.fetch(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'workflows'"
            )
            columns = {r["column_name"] for r in found}
            stored = await conn.fetchval("SELECT webhook_token_hash FROM workflows")
        finally:
            await conn.close()
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()
    assert "webhook_token" not in columns
    assert stored == hashlib.sha256(token.encode()).hexdigest()
