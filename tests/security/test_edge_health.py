"""/healthz is liveness only (cheap, public, nothing about dependencies); /readyz reports reachable or
unreachable per dependency, with no versions or addresses, probing at most once per 5 s."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from api.health import Readiness
from tests.integration.api.conftest import QUIET
from workflows.settings import Settings

pytestmark = pytest.mark.integration


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_healthz_says_nothing_about_dependencies_and_probes_nothing(services: Settings) -> None:
    port = _dead_port()
    broken = services.model_copy(
        update={"nats_url": f"nats://127.0.0.1:{port}", "kafka_bootstrap_servers": f"127.0.0.1:{port}"}
    )
    app = create_app(broken, api_settings=QUIET)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as c:
            resp = await c.get("/healthz")
        assert app.state.readiness.rounds == 0
    assert resp.status_code == 200
    assert resp.json() == {"success": True, "data": {"status": "ok"}}


async def test_readyz_reports_reachability_only(app: FastAPI) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as c:
        resp = await c.get("/readyz")
    assert resp.status_code == 200
    assert resp.json() == {
        "success": True,
        "data": {
            "status": "ready",
            "dependencies": {"kafka": "reachable", "postgres": "reachable", "nats": "reachable"},
        },
    }


async def test_readyz_503_names_the_dependency_but_not_its_address(services: Settings) -> None:
    port = _dead_port()
    broken = services.model_copy(update={"nats_url": f"nats://127.0.0.1:{port}"})
    app = create_app(broken, api_settings=QUIET)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://a") as c,
    ):
        resp = await c.get("/readyz")
    assert resp.status_code == 503
    assert resp.json()["data"]["dependencies"]["nats"] == "unreachable"
    assert resp.json()["success"] is False
    for leak in (str(port), "127.0.0.1", "nats://", "PostgreSQL", "JetStream", "workflows:"):
        assert leak not in resp.text


async def test_readyz_probes_at_most_once_per_five_seconds(app: FastAPI) -> None:
    readiness: Readiness = app.state.readiness
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as c:
        answers = await asyncio.gather(*(c.get("/readyz") for _ in range(40)))
        answers += [await c.get("/readyz") for _ in range(20)]
    assert {r.status_code for r in answers} == {200}
    assert readiness.rounds == 1


async def test_the_readiness_cache_expires_after_its_period() -> None:
    now = [0.0]
    calls = {"kafka": 0, "postgres": 0, "nats": 0}

    def probe(name: str):  # type: ignore[no-untyped-def]
        async def run() -> bool:
            calls[name] += 1
            return name != "nats"

        return run

    readiness = Readiness({n: probe(n) for n in calls}, cache_s=5.0, clock=lambda: now[0])
    assert await readiness.check() == {"kafka": True, "postgres": True, "nats": False}
    for t in (0.1, 2.0, 4.9):
        now[0] = t
        await readiness.check()
    assert calls == {"kafka": 1, "postgres": 1, "nats": 1}
    now[0] = 5.0
    await readiness.check()
    assert calls == {"kafka": 2, "postgres": 2, "nats": 2}
