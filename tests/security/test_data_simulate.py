"""``/simulate`` is bounded (issue 10, item 3): events per request (the ``simulate_max_events`` setting),
engine steps, virtual time span and answer size each stop it with a clear 422, and it runs off the event
loop, so other requests are served while it works. The issue's numbers: an 8 KB request produced a 27.7 MB
answer and held the loop for 0.93 s."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.config import ApiSettings
from api.workflow import simulation
from tests.integration.api.conftest import QUIET, create
from workflows.settings import Settings

pytestmark = pytest.mark.integration
BASE = "/api/v1/workflows"


def _chain(kind: str, length: int) -> dict[str, Any]:
    """A workflow whose every run walks `length` nodes: the effects per event grow with the chain."""
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, str]] = []
    previous = "trigger"
    for i in range(length):
        data = {"tag": f"t{i}"} if kind == "add_tag" else {"duration": 1, "unit": "minutes"}
        nodes.append({"id": f"n{i}", "type": kind, "data": data})
        edges.append({"source": previous, "target": f"n{i}"})
        previous = f"n{i}"
    return {"trigger": {"type": "event", "event": "contact.updated"}, "nodes": nodes, "edges": edges}


def _events(count: int) -> list[dict[str, Any]]:
    return [{"type": "contact.updated", "at": i * 1000, "data": {"changes": {}}} for i in range(count)]


async def _client(settings: Settings, **options: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, api_settings=QUIET.model_copy(update=options))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as c,
    ):
        yield c


@pytest.fixture
async def tight(api_settings: Settings, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    """An API whose simulation budgets are small enough to reach in a test."""
    async for c in _client(
        api_settings, simulate_max_events=5, simulate_max_steps=50, simulate_max_span_days=30
    ):
        yield c


def _problem(resp: httpx.Response, code: str) -> dict[str, Any]:
    assert resp.status_code == 422, resp.text[:500]
    error = resp.json()["error"]
    assert error["code"] == "simulation_budget_exceeded"
    assert error["details"][0]["code"] == code, error
    assert "simulation" in error["message"] or "events" in error["message"]
    problem: dict[str, Any] = error["details"][0]
    return problem


async def test_a_big_answer_is_refused_with_a_clear_422(
    client: httpx.AsyncClient, as_a: dict[str, str]
) -> None:
    wf = await create(client, as_a, **_chain("add_tag", 40))
    body = {"contact": {"id": "c-1"}, "events": _events(200)}
    started = time.perf_counter()
    resp = await client.post(f"{BASE}/{wf['id']}/simulate", json=body, headers=as_a)
    problem = _problem(resp, "answer_bytes")
    assert problem["limit"] == ApiSettings().simulate_max_answer_bytes
    assert problem["setting"] == "WORKFLOWS_SIMULATE_MAX_ANSWER_BYTES"
    assert len(resp.content) < 10_000  # the refusal is small, not the 8 MB the simulation would answer
    assert time.perf_counter() - started < 5
    # The same workflow on a few events still simulates.
    ok = await client.post(
        f"{BASE}/{wf['id']}/simulate", json={"contact": {"id": "c-1"}, "events": _events(2)}, headers=as_a
    )
    assert ok.status_code == 200, ok.text[:500]
    assert len(ok.json()["data"]["path"]) == 80


async def test_the_events_setting_steps_and_span_are_enforced(
    tight: httpx.AsyncClient, api_settings: Settings, as_a: dict[str, str]
) -> None:
    wf = await create(tight, as_a, **_chain("delay", 3))
    url = f"{BASE}/{wf['id']}/simulate"
    # Events: the setting (5 here), not only the schema's ceiling.
    problem = _problem(await tight.post(url, json={"events": _events(6)}, headers=as_a), "events")
    assert problem["path"] == "$.events"
    assert problem["setting"] == "WORKFLOWS_SIMULATE_MAX_EVENTS"
    # Virtual time: an event 31 days after the start, past the 30-day span.
    late = [{"type": "contact.updated", "at": 31 * 86_400_000}]
    _problem(await tight.post(url, json={"events": late}, headers=as_a), "span_ms")
    # A delay that fires past the span.
    slow = await create(
        tight,
        as_a,
        **{
            **_chain("delay", 1),
            "nodes": [{"id": "n0", "type": "delay", "data": {"duration": 45, "unit": "days"}}],
        },
    )
    _problem(
        await tight.post(f"{BASE}/{slow['id']}/simulate", json={"events": _events(1)}, headers=as_a),
        "span_ms",
    )
    # Steps: 5 events x 3 timers each = 20 steps fit; a 20-node chain does not (50-step budget).
    assert (await tight.post(url, json={"events": _events(5)}, headers=as_a)).status_code == 200
    long = await create(tight, as_a, **_chain("delay", 20))
    _problem(
        await tight.post(f"{BASE}/{long['id']}/simulate", json={"events": _events(5)}, headers=as_a), "steps"
    )


async def test_healthz_answers_while_a_simulation_runs(
    client: httpx.AsyncClient, as_a: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A simulation that takes a second (made slow on purpose, as a big one is) leaves the loop free."""
    real = simulation.simulate

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(1.0)  # stands for a second of CPU in the engine
        return real(*args, **kwargs)

    monkeypatch.setattr(simulation, "simulate", slow)
    wf = await create(client, as_a, **_chain("add_tag", 3))
    started = time.perf_counter()
    running = asyncio.create_task(
        client.post(f"{BASE}/{wf['id']}/simulate", json={"events": _events(1)}, headers=as_a)
    )
    await asyncio.sleep(0.1)  # the simulation is under way
    latencies = []
    while not running.done():
        t0 = time.perf_counter()
        assert (await client.get("/healthz")).status_code == 200
        latencies.append(time.perf_counter() - t0)
        await asyncio.sleep(0.05)
    assert (await running).status_code == 200
    assert time.perf_counter() - started >= 1.0
    assert len(latencies) >= 5, latencies
    assert max(latencies) < 0.3, latencies
