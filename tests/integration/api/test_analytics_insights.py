"""Each insight rule fires on a case built for it and stays silent on its counter-case (the split winner's
cases are in test_analytics_splits)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from api.projector.service import apply_batch
from tests.integration.api.conftest import create
from tests.integration.api.runs_helpers import DAY_MS, T0, effects_for, run_events

pytestmark = pytest.mark.integration
BASE = "/api/v1/workflows"
TRIGGER = {"type": "event", "event": "contact.created"}
GOAL = {"id": "bought", "name": "Bought", "event": "order.placed"}
Journey = Callable[[int, str], list[dict[str, Any]]]


def created(contact: str, profile: dict[str, Any] | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {"type": "contact.created", "at": 0, "id": f"e-{contact}"}
    if profile is not None:
        event["data"] = {"contact": profile}
    return event


async def _run(
    engine: AsyncEngine,
    wf: dict[str, Any],
    count: int,
    journey: Journey,
    *,
    start: Callable[[int], int] = lambda i: T0 + i * 1000,
    settle: Callable[[int], bool] = lambda i: True,
) -> None:
    """``count`` runs; a run whose ``settle(i)`` is False keeps only what happened at its start."""
    effects: list[dict[str, Any]] = []
    for i in range(count):
        contact = f"c{i}"
        ran = effects_for(wf, contact=contact, events=journey(i, contact), start=start(i))
        effects += ran if settle(i) else [e for e in ran if e.get("occurredAt") == start(i)]
    await apply_batch(engine, run_events(effects))


async def _insights(client: httpx.AsyncClient, headers: dict[str, str], wf: dict[str, Any], kind: str) -> Any:
    resp = await client.get(f"{BASE}/{wf['id']}/insights", headers=headers)
    assert resp.status_code == 200, resp.text
    return [i for i in resp.json()["data"] if i["kind"] == kind]


# -- a node that fails often ------------------------------------------------------------------------------
FAILING: dict[str, Any] = {
    "trigger": TRIGGER,
    "nodes": [
        {
            "id": "check",
            "type": "condition",
            "data": {"conditions": [{"field": "attributes.plan", "operator": "equals", "value": "pro"}]},
        },
        # No such active workflow: the engine fails this node for every run that reaches it.
        {"id": "sub", "type": "run_workflow", "data": {"workflowId": str(uuid.uuid4())}},
        {"id": "mail", "type": "send_email", "data": {"templateId": "t"}},
    ],
    "edges": [
        {"source": "trigger", "target": "check"},
        {"source": "check", "target": "sub", "branch": "true"},
        {"source": "check", "target": "mail", "branch": "false"},
    ],
}


def plan_by(pro: Callable[[int], bool]) -> Journey:
    return lambda i, c: [created(c, {"attributes": {"plan": "pro" if pro(i) else "basic"}})]


@pytest.mark.parametrize(("runs", "fires"), [(20, True), (19, False)])
async def test_a_node_failing_often_is_named_with_its_error(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine, runs: int, fires: bool
) -> None:
    wf = await create(client, as_a, **FAILING)
    await _run(engine, wf, runs, plan_by(lambda i: True))  # every run reaches sub and fails there
    found = await _insights(client, as_a, wf, "node_failure_rate")
    if not fires:
        assert found == []  # 19 visits: under the 20 the rule needs
        return
    (insight,) = found
    assert (insight["nodeId"], insight["severity"]) == ("sub", "warning")
    evidence = insight["evidence"]
    assert (evidence["failed"], evidence["entered"], evidence["failureRate"]) == (20, 20, 1.0)
    assert "is not active" in evidence["topError"]
    assert evidence["topError"] in insight["detail"]


async def test_a_node_failing_rarely_is_not_named(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine
) -> None:
    wf = await create(client, as_a, **FAILING)
    await _run(engine, wf, 40, plan_by(lambda i: i < 3))  # sub: 3 visits; check: 40, none failed
    assert await _insights(client, as_a, wf, "node_failure_rate") == []


# -- a goal reached before a node ------------------------------------------------------------------------
GOAL_FIRST: dict[str, Any] = {
    "trigger": TRIGGER,
    "nodes": [
        {"id": "welcome", "type": "send_email", "data": {"templateId": "w"}},
        {"id": "wait", "type": "delay", "data": {"duration": 1, "unit": "days"}},
        {"id": "reminder", "type": "send_email", "data": {"templateId": "r"}},
    ],
    "edges": [
        {"source": "trigger", "target": "welcome"},
        {"source": "welcome", "target": "wait"},
        {"source": "wait", "target": "reminder"},
    ],
    "goals": [GOAL],
}


def buyers(share: int) -> Journey:
    """``share`` runs in 20 place an order an hour in (during the delay); the others wait a day."""

    def journey(i: int, contact: str) -> list[dict[str, Any]]:
        events = [created(contact)]
        if i % 20 < share:
            events.append({"type": "order.placed", "at": 3_600_000, "id": f"o-{contact}"})
        return events

    return journey


@pytest.mark.parametrize(("share", "fires"), [(17, True), (10, False)])
async def test_a_goal_most_runs_reach_first_makes_the_next_node_rare(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine, share: int, fires: bool
) -> None:
    wf = await create(client, as_a, **GOAL_FIRST)
    await _run(engine, wf, 20, buyers(share))
    found = await _insights(client, as_a, wf, "goal_before_node")
    if not fires:
        assert found == []  # half the runs reach the goal: the reminder still runs for the other half
        return
    (insight,) = found
    assert insight["nodeId"] == "reminder"
    evidence = insight["evidence"]
    assert (evidence["goalId"], evidence["atNodeId"], evidence["reached"], evidence["entered"]) == (
        "bought",
        "wait",
        17,
        20,
    )
    assert evidence["nodeEntered"] == 3


# -- messages sent in the contact's night ---------------------------------------------------------------
NIGHT: dict[str, Any] = {
    "trigger": TRIGGER,
    "nodes": [{"id": "mail", "type": "send_email", "data": {"templateId": "t"}}],
    "edges": [{"source": "trigger", "target": "mail"}],
    "settings": {"timezone": "Europe/Paris"},
}
NOON_UTC = T0 + 12 * 3_600_000  # 13:00 in Paris (winter)
LATE_UTC = T0 + 22 * 3_600_000  # 23:00 in Paris


@pytest.mark.parametrize(("night_runs", "fires"), [(3, True), (1, False)])
async def test_sends_in_the_contacts_night_are_flagged(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine, night_runs: int, fires: bool
) -> None:
    wf = await create(client, as_a, **NIGHT)

    def journey(i: int, contact: str) -> list[dict[str, Any]]:
        # The first night run is at 13:00 in Paris but 02:00 for a contact in Auckland: the contact's zone
        # (in the triggering event's data, so in the run's trigger data) wins. The others are at 23:00 in
        # Paris, the workflow's zone (their events carry none).
        if i == 0:
            return [{**created(contact), "data": {"timezone": "Pacific/Auckland"}}]
        return [created(contact)]

    def start(i: int) -> int:
        return NOON_UTC + i * 1000 if i == 0 or i >= night_runs else LATE_UTC + i * 1000

    await _run(engine, wf, 20, journey, start=start)
    found = await _insights(client, as_a, wf, "night_sends")
    if not fires:
        assert found == []  # 1 of 20 sends at night: 5 %, under the 10 % the rule needs
        return
    (insight,) = found
    assert insight["nodeId"] == "mail"
    assert (insight["evidence"]["nightSends"], insight["evidence"]["sends"]) == (3, 20)


# -- a goal no run reached in 30 days ---------------------------------------------------------------------
QUIET: dict[str, Any] = {**GOAL_FIRST}


@pytest.mark.parametrize(("runs", "goals", "fires"), [(20, 0, True), (20, 1, False), (19, 0, False)])
async def test_a_goal_nobody_reached_lately_is_flagged(
    client: httpx.AsyncClient,
    as_a: dict[str, str],
    engine: AsyncEngine,
    runs: int,
    goals: int,
    fires: bool,
) -> None:
    wf = await create(client, as_a, **QUIET)
    recent = int(time.time() * 1000) - 2 * DAY_MS
    # Runs started two days ago; ``goals`` of them placed an order (so reached the goal) in their delay.
    await _run(engine, wf, runs, buyers(goals), start=lambda i: recent + i * 1000, settle=lambda i: i < goals)
    found = await _insights(client, as_a, wf, "goal_never_reached")
    if not fires:
        assert found == []
        return
    (insight,) = found
    assert (insight["nodeId"], insight["evidence"]["goalId"]) == (None, "bought")
    assert insight["evidence"]["startedRecently"] == 20


# -- a branch no run took ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("pros", "fires"), [(0, True), (1, False)])
async def test_a_branch_no_run_took_is_flagged(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine, pros: int, fires: bool
) -> None:
    wf = await create(client, as_a, **FAILING)
    await _run(engine, wf, 20, plan_by(lambda i: i < pros))
    found = await _insights(client, as_a, wf, "branch_never_taken")
    if not fires:
        assert found == []
        return
    (insight,) = found
    assert insight["nodeId"] == "check"
    assert (insight["evidence"]["branch"], insight["evidence"]["entered"]) == ("true", 20)
