"""Exit criteria and waits on the read side: exited runs counted apart from goals (projector counters and
the reconcile recount), and a run's detail saying what it waits for and until when."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
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


def _at(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")


async def _get(client: httpx.AsyncClient, headers: dict[str, str], path: str) -> Any:
    resp = await client.get(f"{BASE}/{path}", headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()["data"]


async def _only_run(client: httpx.AsyncClient, headers: dict[str, str], wf: dict[str, Any]) -> Any:
    [run] = (await _get(client, headers, f"{wf['id']}/runs"))["items"]
    return await _get(client, headers, f"{wf['id']}/runs/{run['id']}")


async def test_exited_runs_are_counted_apart_from_goals_and_recounted(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine
) -> None:
    goal = {"id": "bought", "name": "Bought", "event": "order.placed"}
    wf = await create(client, as_a, goals=[goal], settings={"exitWhen": {"event": "contact.unsubscribed"}})
    effects: list[dict[str, Any]] = []
    journeys = {  # each run waits in node-2's 60 s delay when the second event comes
        "leaves": "contact.unsubscribed",
        "buys": "order.placed",
        "stays": None,
    }
    for i, (contact, second) in enumerate(journeys.items()):
        journey = [{"type": "contact.created", "at": 0, "id": f"e-{contact}"}]
        if second is not None:
            journey.append({"type": second, "at": 30_000, "id": f"s-{contact}"})
        ran = effects_for(wf, contact=contact, events=journey, start=T0 + i)
        effects += ran if second is not None else [e for e in ran if e.get("occurredAt") == T0 + i]
    await apply_batch(engine, run_events(effects))
    await apply_batch(engine, run_events(effects))  # redelivered: counted once

    stats = await _get(client, as_a, f"{wf['id']}/stats")
    keys = ("totalRuns", "runningRuns", "exitedRuns", "goalReachedRuns", "completedRuns", "conversionRate")
    assert {k: stats[k] for k in keys} == {
        "totalRuns": 3,
        "runningRuns": 1,
        "exitedRuns": 1,
        "goalReachedRuns": 1,
        "completedRuns": 1,  # the goal; the exited run is not a completion
        "conversionRate": 100.0,
    }
    assert stats["nodeStats"]["node-2"]["skipped"] == 2  # the delay bypassed by the exit and by the goal
    exited = (await _get(client, as_a, f"{wf['id']}/runs?status=exited"))["items"]
    assert [(r["contactId"], r["status"], r["goalReachedId"]) for r in exited] == [("leaves", "exited", None)]
    assert await reconcile(engine) == {"runs": 0, "nodes": 0}  # the recount agrees with the projector
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE workflow_run_counters SET exited = 7 WHERE workflow_id = :w"),
            {"w": uuid.UUID(wf["id"])},
        )
    assert await reconcile(engine) == {"runs": 1, "nodes": 0}
    assert (await _get(client, as_a, f"{wf['id']}/stats"))["exitedRuns"] == 1
    cached = (await _get(client, as_a, wf["id"]))["stats"]
    assert (cached["exitedRuns"], cached["completedRuns"]) == (1, 1)


def _first_wait(wf: dict[str, Any]) -> list[Any]:
    """The run events of the trigger's step alone: the run then waits in its first waiting node."""
    return run_events([e for e in effects_for(wf, contact="c1") if e.get("occurredAt") == T0])


async def test_run_detail_says_what_a_run_waits_for_and_until_when(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine
) -> None:
    wait = {
        "id": "w",
        "type": "wait_for_event",
        "data": {"event": "order.placed", "correlate": ["cartId"], "timeout": {"amount": 2, "unit": "hours"}},
    }
    email = {"id": "m", "type": "send_email", "data": {"templateId": "tpl"}}
    cart = await create(
        client,
        as_a,
        nodes=[wait, email, {**email, "id": "m2"}],
        edges=[
            {"source": "trigger", "target": "w"},
            {"source": "w", "target": "m", "branch": "received"},
            {"source": "w", "target": "m2", "branch": "timeout"},
        ],
    )
    # 2026-01-01 is a Thursday: at 00:00 UTC a 09:00-17:00 UTC window opens at 09:00 the same day.
    window = {"start": "09:00", "end": "17:00", "timezone": "UTC"}
    windowed = await create(
        client,
        as_a,
        nodes=[email],
        edges=[{"source": "trigger", "target": "m"}],
        settings={"sendWindow": window},
    )
    delayed = await create(client, as_a)  # node-1 sends, node-2 waits 60 s
    for wf in (cart, windowed, delayed):
        await apply_batch(engine, _first_wait(wf))

    event_wait = await _only_run(client, as_a, cart)
    assert event_wait["waitingFor"] == {
        "kind": "event",
        "nodeId": "w",
        "eventType": "order.placed",
        "childRunId": None,
        "until": _at(T0 + 2 * 3_600_000),
    }
    window_wait = await _only_run(client, as_a, windowed)
    assert window_wait["waitingFor"] == {
        "kind": "send_window",
        "nodeId": "m",
        "eventType": None,
        "childRunId": None,
        "until": _at(T0 + 9 * 3_600_000),
    }
    delay_wait = await _only_run(client, as_a, delayed)
    assert delay_wait["waitingFor"] == {
        "kind": "delay",
        "nodeId": "node-2",
        "eventType": None,
        "childRunId": None,
        "until": _at(T0 + 60_000),
    }
    # The wait ends with the run: an ended run waits for nothing.
    await apply_batch(engine, run_events(effects_for(delayed, contact="c1")))
    done = await _only_run(client, as_a, delayed)
    assert (done["status"], done["waitingFor"]) == ("completed", None)
