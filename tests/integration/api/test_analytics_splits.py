"""Split results over 2,000 synthetic runs: 10 % against 15 % is a significant win for b, 10 % against
10.5 % is not; both are counted through the projector from the engine's own simulation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from api.projector.analytics_reconcile import reconcile_analytics
from api.projector.service import apply_batch
from tests.integration.api.conftest import create
from tests.integration.api.runs_helpers import effects_for, run_events

pytestmark = pytest.mark.integration
BASE = "/api/v1/workflows"
RUNS = 2000
SPLIT: dict[str, Any] = {
    "trigger": {"type": "event", "event": "contact.created"},
    "nodes": [
        {
            "id": "ab",
            "type": "split",
            "data": {"variants": [{"id": "a", "percentage": 50}, {"id": "b", "percentage": 50}]},
        },
        {"id": "wait-a", "type": "delay", "data": {"duration": 1, "unit": "days"}},
        {"id": "wait-b", "type": "delay", "data": {"duration": 1, "unit": "days"}},
    ],
    "edges": [
        {"source": "trigger", "target": "ab"},
        {"source": "ab", "target": "wait-a", "branch": "a"},
        {"source": "ab", "target": "wait-b", "branch": "b"},
    ],
    "goals": [{"id": "bought", "name": "Bought", "event": "order.placed"}],
    "settings": {},
}


def _created(contact: str) -> dict[str, Any]:
    return {"type": "contact.created", "at": 0, "id": f"e-{contact}"}


def _variant(effects: list[dict[str, Any]]) -> str:
    step = next(e["step"] for e in effects if (e.get("step") or {}).get("nodeId") == "ab")
    return str(step["output"]["variant"])


def synthetic_runs(
    wf: dict[str, Any], rates: dict[str, float]
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """RUNS contacts; in each variant the first ``rate`` share of its runs places an order while waiting
    (a goal), the others are still waiting. Returns the effects and the runs per variant."""
    by_variant: dict[str, list[str]] = {"a": [], "b": []}
    for i in range(RUNS):
        contact = f"c{i}"
        by_variant[_variant(effects_for(wf, contact=contact, events=[_created(contact)]))].append(contact)
    effects: list[dict[str, Any]] = []
    for variant, contacts in by_variant.items():
        converting = round(len(contacts) * rates[variant])
        for n, contact in enumerate(contacts):
            journey = [_created(contact)]
            if n < converting:
                journey.append({"type": "order.placed", "at": 60_000, "id": f"o-{contact}"})
            ran = effects_for(wf, contact=contact, events=journey)
            # Runs that do not convert stay in their delay: only what happened at the start is kept.
            effects += (
                ran if n < converting else [e for e in ran if e.get("occurredAt") == ran[0]["occurredAt"]]
            )
    return effects, {v: len(c) for v, c in by_variant.items()}


async def _get(client: httpx.AsyncClient, headers: dict[str, str], url: str) -> Any:
    resp = await client.get(url, headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()["data"]


async def test_15_against_10_percent_is_a_significant_win(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine
) -> None:
    wf = await create(client, as_a, **SPLIT)
    effects, sizes = synthetic_runs(wf, {"a": 0.10, "b": 0.15})
    await apply_batch(engine, run_events(effects))
    (split,) = await _get(client, as_a, f"{BASE}/{wf['id']}/stats/splits")
    a, b = split["variants"]
    assert (a["variantId"], a["entered"], a["converted"]) == ("a", sizes["a"], round(sizes["a"] * 0.10))
    assert (b["variantId"], b["entered"], b["converted"]) == ("b", sizes["b"], round(sizes["b"] * 0.15))
    assert (split["nodeId"], split["goalId"], split["minSample"]) == ("ab", "bought", 100)
    assert a["ciLow"] < a["conversionRate"] < a["ciHigh"] < b["ciHigh"]
    comparison = split["comparison"]
    assert (comparison["baselineId"], comparison["bestId"], comparison["winner"]) == ("a", "b", "b")
    assert comparison["significant"] is True
    assert comparison["pValue"] < 0.01
    assert "significant at 95%" in comparison["summary"]
    insights = await _get(client, as_a, f"{BASE}/{wf['id']}/insights")
    winners = [i for i in insights if i["kind"] == "split_winner"]
    assert [(i["nodeId"], i["evidence"]["winner"]) for i in winners] == [("ab", "b")]
    # The funnel's edges out of the split carry the same runs.
    funnel = await _get(client, as_a, f"{BASE}/{wf['id']}/stats/funnel")
    out = {e["branch"]: e["runs"] for e in funnel["edges"] if e["source"] == "ab"}
    assert out == sizes
    assert await reconcile_analytics(engine) == dict.fromkeys(
        ("nodes", "edges", "splits", "goals", "buckets"), 0
    )


async def test_10_5_against_10_percent_is_no_significant_difference(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine
) -> None:
    wf = await create(client, as_a, **SPLIT)
    effects, _sizes = synthetic_runs(wf, {"a": 0.10, "b": 0.105})
    await apply_batch(engine, run_events(effects))
    (split,) = await _get(client, as_a, f"{BASE}/{wf['id']}/stats/splits")
    comparison = split["comparison"]
    assert comparison["significant"] is False
    assert comparison["winner"] is None
    assert comparison["pValue"] > 0.05
    assert "no significant difference" in comparison["summary"]
    insights = await _get(client, as_a, f"{BASE}/{wf['id']}/insights")
    assert [i for i in insights if i["kind"] == "split_winner"] == []


async def test_a_big_gap_on_few_runs_names_no_winner(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine
) -> None:
    wf = await create(client, as_a, **SPLIT)
    effects: list[dict[str, Any]] = []
    for i in range(60):
        contact = f"c{i}"
        ran = effects_for(wf, contact=contact, events=[_created(contact)])
        if _variant(ran) == "b":  # every b run converts, no a run does
            ran = effects_for(
                wf,
                contact=contact,
                events=[_created(contact), {"type": "order.placed", "at": 1000, "id": f"o{i}"}],
            )
        effects += (
            ran if _variant(ran) == "b" else [e for e in ran if e.get("occurredAt") == ran[0]["occurredAt"]]
        )
    await apply_batch(engine, run_events(effects))
    (split,) = await _get(client, as_a, f"{BASE}/{wf['id']}/stats/splits")
    comparison = split["comparison"]
    assert (comparison["significant"], comparison["winner"]) == (True, None)
    assert "not enough runs yet" in comparison["summary"]
