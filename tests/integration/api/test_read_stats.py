"""Stats in the spec's meaning: completed includes goal-reached runs, conversion = goal / completed, plus
cancelledRuns, per-node skipped and skippedEnrolments, counted by the projector and recounted alike by the
reconcile job."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.projector.reconcile import reconcile
from api.projector.service import apply_batch
from tests.integration.api.conftest import create
from tests.integration.api.runs_helpers import T0, effects_for, run_events

pytestmark = pytest.mark.integration
BASE = "/api/v1/workflows"


async def _stats(client: httpx.AsyncClient, headers: dict[str, str], wf: dict[str, Any]) -> dict[str, Any]:
    resp = await client.get(f"{BASE}/{wf['id']}/stats", headers=headers)
    assert resp.status_code == 200, resp.text
    data: dict[str, Any] = resp.json()["data"]
    return data


async def test_the_specs_example_gives_its_conversion(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine
) -> None:
    wf = await create(client, as_a)
    # The spec: 15,000 runs, 250 running, 14,500 completed (2,000 of them by the goal), 50 failed; the
    # other 200 were cancelled. The counters keep the run status: 12,500 ended as completed.
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO workflow_run_counters (workflow_id, total, running, completed, failed, "
                "goal_reached, cancelled, duration_ms_sum, finished) "
                "VALUES (:w, 15000, 250, 12500, 50, 2000, 200, 0, 0)"
            ),
            {"w": uuid.UUID(wf["id"])},
        )
    stats = await _stats(client, as_a, wf)
    assert {k: stats[k] for k in ("totalRuns", "runningRuns", "completedRuns", "failedRuns")} == {
        "totalRuns": 15000,
        "runningRuns": 250,
        "completedRuns": 14500,
        "failedRuns": 50,
    }
    assert (stats["goalReachedRuns"], stats["conversionRate"], stats["cancelledRuns"]) == (2000, 13.79, 200)


async def test_every_run_converting_is_100_percent_and_nothing_completed_is_0(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine
) -> None:
    goal = {"id": "goal-1", "name": "Bought", "event": "order.placed"}
    wf = await create(client, as_a, goals=[goal])
    waiting = await create(client, as_a)
    effects: list[dict[str, Any]] = []
    for i in range(3):  # every run reaches the goal during the delay
        journey = [
            {"type": "contact.created", "at": 0, "id": f"e{i}"},
            {"type": "order.placed", "at": 30_000, "id": f"o{i}"},
        ]
        effects += effects_for(wf, contact=f"c{i}", events=journey, start=T0 + i)
    # A run still waiting in its delay: nothing completed yet.
    effects += [e for e in effects_for(waiting, contact="w1") if e.get("occurredAt") == T0]
    await apply_batch(engine, run_events(effects))

    stats = await _stats(client, as_a, wf)
    assert (stats["completedRuns"], stats["goalReachedRuns"], stats["conversionRate"]) == (3, 3, 100.0)
    # The goal ended each run while it waited in node-2: node-2 was bypassed three times, node-3 never ran.
    assert stats["nodeStats"]["node-2"] == {
        "executed": 3,
        "succeeded": 0,
        "failed": 0,
        "waiting": 0,
        "skipped": 3,
    }
    assert "node-3" not in stats["nodeStats"]
    still = await _stats(client, as_a, waiting)
    assert (still["completedRuns"], still["conversionRate"], still["runningRuns"]) == (0, 0.0, 1)
    assert await reconcile(engine) == {"runs": 0, "nodes": 0}  # the recount agrees with the projector


async def test_skipped_enrolments_are_counted_once_and_recounted(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine
) -> None:
    wf = await create(client, as_a, settings={"maxActiveRunsPerContact": 1})
    journey = [{"type": "contact.created", "at": i * 1000, "id": f"e{i}"} for i in range(3)]
    effects = effects_for(wf, contact="c1", events=journey)
    skipped = [e for e in effects if e["subject"] == "workflow.run.enrolment_skipped"]
    assert len(skipped) == 2  # the first event started the run; the cap refused the other two
    await apply_batch(engine, run_events(effects))
    await apply_batch(engine, run_events(skipped))  # redelivered: counted once

    stats = await _stats(client, as_a, wf)
    assert (stats["totalRuns"], stats["skippedEnrolments"]) == (1, 2)
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE workflow_run_counters SET skipped_enrolments = 7"))
    assert await reconcile(engine) == {"runs": 1, "nodes": 0}
    assert (await _stats(client, as_a, wf))["skippedEnrolments"] == 2
    cached = (await client.get(f"{BASE}/{wf['id']}", headers=as_a)).json()["data"]["stats"]
    assert (cached["skippedEnrolments"], cached["completedRuns"]) == (2, 1)
