"""The worker's web server: health and Prometheus metrics on loopback; no table, router or debug views."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.integration.worker.flows import node, workflow
from tests.integration.worker.harness import Client, Stack, Worker, envelope
from workflows.settings import Settings


@pytest.fixture
async def stack(services: Settings) -> AsyncIterator[Stack]:
    s = Stack(services.kafka_bootstrap_servers)
    await s.create_topics()
    yield s
    await s.delete_topics()


async def test_the_table_view_is_gone_and_health_and_metrics_answer(stack: Stack, tmp_path: Path) -> None:
    worker = Worker(stack, tmp_path / "data", "worker").start()
    base = f"http://127.0.0.1:{worker.env['WORKFLOWS_WORKER_WEB_PORT']}"
    try:
        async with Client(stack) as client:
            flow = workflow("wf-web", [node("m", "send_email", templateId="tpl-1")])
            await client.publish_definition(flow)
            await client.send(envelope("e1", "contact.created", "c-web", {"contact": {"email": "a@b.test"}}))
        async with httpx.AsyncClient(timeout=5) as http:
            health = None
            for _ in range(150):  # Faust starts its web server after recovery
                try:
                    health = await http.get(f"{base}/healthz")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.2)
            assert health is not None, worker.tail()
            assert health.status_code == 200
            for _ in range(60):  # the contact's state is in the table by now, or soon
                metrics = await http.get(f"{base}/metrics")
                if b"workflows_events_processed_total 1.0" in metrics.content:
                    break
                await asyncio.sleep(0.5)
            assert metrics.status_code == 200
            assert b"workflows_events_processed_total 1.0" in metrics.content
            assert (await http.get(f"{base}/")).status_code == 200
            for path in (
                "/table/contacts/S%7Ct1%7Cc-web/",  # any tenant's state, before
                "/table/",
                "/router/",
                "/graph/",
                "/stats/",
                "/assignment/",
                "/performance/",
            ):
                answer = await http.get(f"{base}{path}")
                assert answer.status_code == 404, (path, answer.status_code, answer.text[:200])
                assert b"c-web" not in answer.content
    finally:
        worker.stop()


def test_the_web_server_binds_loopback_unless_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    from streams.app import create_app
    from streams.worker_settings import WorkerSettings

    monkeypatch.delenv("WORKFLOWS_WORKER_WEB_HOST", raising=False)
    app, _rt = create_app(Settings(), WorkerSettings())
    assert (app.conf.web_bind, app.conf.web_host) == ("127.0.0.1", "127.0.0.1")
    assert not (app.conf.web_tables_enabled)
    assert not (app.conf.web_router_enabled)
    assert not (app.conf.web_stats_enabled)
    monkeypatch.setenv("WORKFLOWS_WORKER_WEB_HOST", "10.0.0.5")
    app, _rt = create_app(Settings(), WorkerSettings())
    assert app.conf.web_bind == "10.0.0.5"
