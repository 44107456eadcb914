"""The CLI's service manager, migrations and the API's health endpoint against the real services."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from api.app import create_app
from workflows import services as native
from workflows.settings import Settings

pytestmark = pytest.mark.integration

CLI = [sys.executable, "-m", "workflows.cli"]


def test_services_up_is_idempotent(services: Settings) -> None:
    before = {s.name: s.pid for s in native.status(Settings())}
    done = subprocess.run([*CLI, "services", "up"], capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    after = native.status(Settings())
    assert all(s.healthy for s in after)
    assert {s.name: s.pid for s in after} == before  # nothing started twice

    status = subprocess.run([*CLI, "services", "status"], capture_output=True, text=True, check=False)
    assert status.returncode == 0
    for name in ("kafka", "postgres", "nats"):
        assert name in status.stdout


def test_a_taken_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        env = {
            **os.environ,
            "WORKFLOWS_SERVICES_HOME": str(tmp_path),
            "WORKFLOWS_NATS_PORT": str(port),
            "WORKFLOWS_NATS_MONITOR_PORT": str(port),
            "WORKFLOWS_KAFKA_PORT": str(port),
            "WORKFLOWS_POSTGRES_PORT": str(port),
        }
        done = subprocess.run(
            [*CLI, "services", "up"], capture_output=True, text=True, check=False, env=env, timeout=120
        )
    assert done.returncode == 1
    out = " ".join(done.stdout.split())
    assert f"127.0.0.1:{port} is already in use" in out
    assert "WORKFLOWS_" in out  # tells the operator which setting moves the port


def test_migrations_create_the_spec_tables(services: Settings) -> None:
    from tests.migrations import migrate_disposable

    migrate_disposable(services)

    async def tables() -> set[str]:
        engine = create_async_engine(services.database_url.get_secret_value())
        try:
            async with engine.connect() as conn:
                rows = await conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
                return {r[0] for r in rows}
        finally:
            await engine.dispose()

    import asyncio

    found = asyncio.run(tables())
    assert {
        "workflows",
        "workflow_versions",
        "workflow_runs",
        "workflow_run_steps",
        "workflow_schedules",
        "outbox",
    } <= found


async def test_readyz_reports_all_three_reachable(services: Settings) -> None:
    app = create_app(services)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            resp = await client.get("/readyz")
    assert resp.status_code == 200
    body = resp.json()
    assert body["success"] is True
    assert body["data"]["dependencies"] == {
        "kafka": "reachable",
        "postgres": "reachable",
        "nats": "reachable",
    }


async def test_readyz_says_503_when_a_dependency_is_unreachable(services: Settings) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free_port = s.getsockname()[1]
    broken = services.model_copy(update={"nats_url": f"nats://127.0.0.1:{free_port}"})
    app = create_app(broken)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            resp = await client.get("/readyz")
    assert resp.status_code == 503
    deps = resp.json()["data"]["dependencies"]
    assert deps["nats"] == "unreachable"
    assert deps["kafka"] == "reachable"
