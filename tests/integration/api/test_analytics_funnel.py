"""Analytics from a scripted set of runs with known outcomes: exact funnel, edge traffic and time series
(a DST day in Europe/Paris included), equal to a recount, unchanged by a replay, and drift corrected."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.projector.analytics_reconcile import reconcile_analytics
from api.projector.reconcile import reconcile
from api.projector.service import apply_batch
from tests.integration.api.conftest import create
from tests.integration.api.runs_helpers import effects_for, run_events

pytestmark = pytest.mark.integration
BASE = "/api/v1/workflows"
PRO = {"attributes": {"plan": "pro"}}
BASIC = {"attributes": {"plan": "basic"}}
SCRIPTED: dict[str, Any] = {
    "trigger": {"type": "event", "event": "contact.created"},
    "nodes": [
        {
            "id": "check",
            "type": "condition",
            "data": {"conditions": [{"field": "attributes.plan", "operator": "equals", "value": "pro"}]},
        },
        {"id": "pro-mail", "type": "send_email", "data": {"templateId": "pro"}},
        {"id": "wait", "type": "delay", "data": {"duration": 60, "unit": "seconds"}},
        {"id": "basic-mail", "type": "send_email", "data": {"templateId": "basic"}},
    ],
    "edges": [
        {"source": "trigger", "target": "check"},
        {"source": "check", "target": "pro-mail", "branch": "true"},
        {"source": "check", "target": "wait", "branch": "false"},
        {"source": "wait", "target": "basic-mail"},
    ],
    "goals": [{"id": "bought", "name": "Bought", "event": "order.placed"}],
    "settings": {"timezone": "Europe/Paris"},
}


def ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).astimezone(UTC).timestamp() * 1000)


def journey(contact: str, profile: dict[str, Any], *, goal_at: int | None = None) -> list[dict[str, Any]]:
    events = [{"type": "contact.created", "at": 0, "id": f"e-{contact}", "data": {"contact": profile}}]
    if goal_at is not None:
        events.append({"type": "order.placed", "at": goal_at, "id": f"o-{contact}"})
    return events


def scripted_effects(wf: dict[str, Any]) -> list[dict[str, Any]]:
    """Five runs around the spring DST change in Paris (2026-03-29, 02:00 CET -> 03:00 CEST):
    c1 pro, 28th 23:30 local, completes; c2 pro, 29th 00:30 local, completes; c3 basic, 29th 23:30 local,
    waits 60 s then completes; c4 basic, 30th 00:30 local, reaches the goal while it waits; c5 basic,
    29th 14:00 local, still waiting."""
    out: list[dict[str, Any]] = []
    out += effects_for(wf, contact="c1", events=journey("c1", PRO), start=ms("2026-03-28T22:30:00+00:00"))
    out += effects_for(wf, contact="c2", events=journey("c2", PRO), start=ms("2026-03-28T23:30:00+00:00"))
    out += effects_for(wf, contact="c3", events=journey("c3", BASIC), start=ms("2026-03-29T21:30:00+00:00"))
    out += effects_for(
        wf, contact="c4", events=journey("c4", BASIC, goal_at=30_000), start=ms("2026-03-29T22:30:00+00:00")
    )
    start = ms("2026-03-29T12:00:00+00:00")
    waiting = effects_for(wf, contact="c5", events=journey("c5", BASIC), start=start)
    out += [e for e in waiting if e.get("occurredAt") == start]  # the delay has not fired yet
    return out


async def _get(client: httpx.AsyncClient, headers: dict[str, str], url: str, **params: Any) -> Any:
    resp = await client.get(url, headers=headers, params=params)
    assert resp.status_code == 200, resp.text
    return resp.json()["data"]


EXPECTED_NODES = [
    {
        "nodeId": "check",
        "nodeType": "condition",
        "entered": 5,
        "completed": 5,
        "failed": 0,
        "skipped": 0,
        "waitingNow": 0,
        "droppedOff": 0,
        "dropOffRate": 0.0,
    },
    {
        "nodeId": "pro-mail",
        "nodeType": "send_email",
        "entered": 2,
        "completed": 2,
        "failed": 0,
        "skipped": 0,
        "waitingNow": 0,
        "droppedOff": 0,
        "dropOffRate": 0.0,  # the journey ends here
    },
    {
        "nodeId": "wait",
        "nodeType": "delay",
        "entered": 3,
        "completed": 1,
        "failed": 0,
        "skipped": 1,
        "waitingNow": 1,
        "droppedOff": 1,
        "dropOffRate": 0.3333,
    },
    {
        "nodeId": "basic-mail",
        "nodeType": "send_email",
        "entered": 1,
        "completed": 1,
        "failed": 0,
        "skipped": 0,
        "waitingNow": 0,
        "droppedOff": 0,
        "dropOffRate": 0.0,  # the journey ends here
    },
]
EXPECTED_EDGES = [
    {"source": "trigger", "target": "check", "branch": None, "runs": 5},
    {"source": "check", "target": "pro-mail", "branch": "true", "runs": 2},
    {"source": "check", "target": "wait", "branch": "false", "runs": 3},
    {"source": "wait", "target": "basic-mail", "branch": None, "runs": 1},
]


async def test_scripted_runs_give_the_exact_funnel(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine
) -> None:
    wf = await create(client, as_a, **SCRIPTED)
    events = run_events(scripted_effects(wf))
    await apply_batch(engine, events)
    funnel = await _get(client, as_a, f"{BASE}/{wf['id']}/stats/funnel")
    assert funnel == {"version": None, "nodes": EXPECTED_NODES, "edges": EXPECTED_EDGES}
    assert await _get(client, as_a, f"{BASE}/{wf['id']}/stats/funnel", version=1) == {**funnel, "version": 1}

    await apply_batch(engine, events)  # replayed: nothing changes
    assert await _get(client, as_a, f"{BASE}/{wf['id']}/stats/funnel") == funnel
    # The figures equal a recount of the runs and steps: the reconcile job finds nothing to correct.
    assert await reconcile_analytics(engine) == dict.fromkeys(
        ("nodes", "edges", "splits", "goals", "buckets"), 0
    )


async def test_events_split_across_batches_count_each_edge_once(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine
) -> None:
    wf = await create(client, as_a, **SCRIPTED)
    for event in run_events(scripted_effects(wf)):  # one event per batch: a step's predecessor is stored
        await apply_batch(engine, [event])
    funnel = await _get(client, as_a, f"{BASE}/{wf['id']}/stats/funnel")
    assert (funnel["nodes"], funnel["edges"]) == (EXPECTED_NODES, EXPECTED_EDGES)


async def test_drift_is_recounted_by_the_reconcile_job(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine
) -> None:
    wf = await create(client, as_a, **SCRIPTED)
    await apply_batch(engine, run_events(scripted_effects(wf)))
    before = await _get(client, as_a, f"{BASE}/{wf['id']}/stats/funnel")
    series = await _get(client, as_a, f"{BASE}/{wf['id']}/stats/timeseries", **{"from": FROM, "to": TO})
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE workflow_edge_stats SET runs = runs + 7"))
        await conn.execute(text("UPDATE workflow_version_node_stats SET entered = 0 WHERE node_id = 'wait'"))
        await conn.execute(text("DELETE FROM workflow_run_buckets"))
        await conn.execute(text("UPDATE workflow_goal_stats SET reached = 9, last_reached_at = now()"))
    assert await _get(client, as_a, f"{BASE}/{wf['id']}/stats/funnel") != before
    corrected = await reconcile_analytics(engine)
    assert corrected is not None
    assert (corrected["edges"], corrected["nodes"], corrected["goals"]) == (3, 1, 1)
    assert corrected["buckets"] > 0
    assert await _get(client, as_a, f"{BASE}/{wf['id']}/stats/funnel") == before
    assert (
        await _get(client, as_a, f"{BASE}/{wf['id']}/stats/timeseries", **{"from": FROM, "to": TO}) == series
    )
    async with engine.connect() as conn:
        last = (await conn.execute(text("SELECT last_reached_at FROM workflow_goal_stats"))).scalar_one()
    assert last == datetime(2026, 3, 29, 22, 30, 30, tzinfo=UTC)
    # The 5-minute job runs the same pass: nothing is left to correct.
    await reconcile(engine)
    assert await reconcile_analytics(engine) == dict.fromkeys(
        ("nodes", "edges", "splits", "goals", "buckets"), 0
    )


FROM = "2026-03-28T00:00:00+01:00"
TO = "2026-03-31T00:00:00+02:00"


def _bucket(start: str, **counts: int) -> dict[str, Any]:
    zero = dict.fromkeys(("started", "completed", "goalReached", "failed", "cancelled", "exited"), 0)
    return {"start": start, **zero, **counts}


async def test_day_buckets_are_local_days_across_the_dst_change(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine
) -> None:
    wf = await create(client, as_a, **SCRIPTED)
    await apply_batch(engine, run_events(scripted_effects(wf)))
    series = await _get(client, as_a, f"{BASE}/{wf['id']}/stats/timeseries", **{"from": FROM, "to": TO})
    assert series == {
        "interval": "day",
        "timeZone": "Europe/Paris",
        "buckets": [
            _bucket("2026-03-28T00:00:00+01:00", started=1, completed=1),
            _bucket("2026-03-29T00:00:00+01:00", started=3, completed=2),
            _bucket("2026-03-30T00:00:00+02:00", started=1, goalReached=1),
        ],
    }
    # The same range for version 1 only: every run is of version 1.
    versioned = await _get(
        client, as_a, f"{BASE}/{wf['id']}/stats/timeseries", **{"from": FROM, "to": TO, "version": 1}
    )
    assert versioned == series


async def test_hour_buckets_of_the_dst_day_are_23_local_hours(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine
) -> None:
    wf = await create(client, as_a, **SCRIPTED)
    await apply_batch(engine, run_events(scripted_effects(wf)))
    series = await _get(
        client,
        as_a,
        f"{BASE}/{wf['id']}/stats/timeseries",
        **{"from": "2026-03-29T00:00:00+01:00", "to": "2026-03-30T00:00:00+02:00", "interval": "hour"},
    )
    starts = [b["start"] for b in series["buckets"]]
    assert len(starts) == 23
    assert starts[:3] == [
        "2026-03-29T00:00:00+01:00",
        "2026-03-29T01:00:00+01:00",
        "2026-03-29T03:00:00+02:00",
    ]
    busy = {
        b["start"]: (b["started"], b["completed"])
        for b in series["buckets"]
        if b["started"] or b["completed"]
    }
    assert busy == {
        "2026-03-29T00:00:00+01:00": (1, 1),  # c2 at 00:30 CET
        "2026-03-29T14:00:00+02:00": (1, 0),  # c5, still waiting
        "2026-03-29T23:00:00+02:00": (1, 1),  # c3 at 23:30 CEST, ended a minute later
    }


async def test_a_range_that_starts_mid_bucket_includes_that_bucket(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine
) -> None:
    wf = await create(client, as_a, **SCRIPTED)
    await apply_batch(engine, run_events(scripted_effects(wf)))
    series = await _get(
        client,
        as_a,
        f"{BASE}/{wf['id']}/stats/timeseries",
        **{"from": "2026-03-29T12:00:00Z", "to": "2026-03-29T12:00:01Z"},
    )
    assert series["buckets"] == [_bucket("2026-03-29T00:00:00+01:00", started=3, completed=2)]


async def test_an_unknown_version_is_a_404(client: httpx.AsyncClient, as_a: dict[str, str]) -> None:
    wf = await create(client, as_a, **SCRIPTED)
    resp = await client.get(f"{BASE}/{wf['id']}/stats/funnel", headers=as_a, params={"version": 7})
    assert resp.status_code == 404, resp.text
    random = uuid.uuid4()
    assert (await client.get(f"{BASE}/{random}/stats/funnel", headers=as_a)).status_code == 404
