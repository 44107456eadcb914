"""Who is where: the runs waiting at, entering, failing at or branching from a node, in keyset pages;
tenant isolation and input budgets of every analytics route; bulk cancel of the runs waiting at a node."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from api.analytics import service
from api.projector.service import apply_batch
from tests.integration.api.conftest import create, outbox_rows
from tests.integration.api.runs_helpers import T0, effects_for, run_events

pytestmark = pytest.mark.integration
BASE = "/api/v1/workflows"
FLOW: dict[str, Any] = {
    "trigger": {"type": "event", "event": "contact.created"},
    "nodes": [
        {
            "id": "check",
            "type": "condition",
            "data": {"conditions": [{"field": "attributes.plan", "operator": "equals", "value": "pro"}]},
        },
        {"id": "sub", "type": "run_workflow", "data": {"workflowId": str(uuid.uuid4())}},
        {"id": "wait", "type": "delay", "data": {"duration": 1, "unit": "days"}},
        {"id": "mail", "type": "send_email", "data": {"templateId": "t"}},
    ],
    "edges": [
        {"source": "trigger", "target": "check"},
        {"source": "check", "target": "sub", "branch": "true"},
        {"source": "check", "target": "wait", "branch": "false"},
        {"source": "wait", "target": "mail"},
    ],
}
WAITING = ["c0", "c1", "c2", "c3", "c4"]  # basic, still in the delay
FAILED = ["c5", "c6"]  # pro: the sub-workflow node fails
DONE = ["c7"]  # basic, went through the delay to the mail


async def seeded(client: httpx.AsyncClient, headers: dict[str, str], engine: AsyncEngine) -> dict[str, Any]:
    wf = await create(client, headers, **FLOW)
    effects: list[dict[str, Any]] = []
    for i, contact in enumerate(WAITING + FAILED + DONE):
        plan = "pro" if contact in FAILED else "basic"
        event = {
            "type": "contact.created",
            "at": 0,
            "id": f"e-{contact}",
            "data": {"attributes": {"plan": plan}},
        }
        start = T0 + i * 60_000
        ran = effects_for(wf, contact=contact, events=[event], start=start)
        effects += [e for e in ran if e.get("occurredAt") == start] if contact in WAITING else ran
    await apply_batch(engine, run_events(effects))
    return wf


async def _page(client: httpx.AsyncClient, headers: dict[str, str], wf: dict[str, Any], **params: Any) -> Any:
    resp = await client.get(f"{BASE}/{wf['id']}/stats/contacts", headers=headers, params=params)
    assert resp.status_code == 200, resp.text
    return resp.json()["data"]


async def _all(
    client: httpx.AsyncClient, headers: dict[str, str], wf: dict[str, Any], **params: Any
) -> list[str]:
    contacts: list[str] = []
    cursor = None
    for _ in range(20):
        page = await _page(client, headers, wf, **params, **({"cursor": cursor} if cursor else {}))
        contacts += [item["contactId"] for item in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            return contacts
    raise AssertionError("pages never ended")


async def test_the_runs_waiting_at_a_node_come_newest_first_in_pages(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine
) -> None:
    wf = await seeded(client, as_a, engine)
    first = await _page(client, as_a, wf, nodeId="wait", state="waiting", limit=2)
    assert [i["contactId"] for i in first["items"]] == ["c4", "c3"]
    item = first["items"][0]
    assert (item["status"], item["currentNodeId"], item["version"]) == ("running", "wait", 1)
    assert set(item) == {"runId", "contactId", "status", "currentNodeId", "version", "startedAt"}
    assert await _all(client, as_a, wf, nodeId="wait", state="waiting", limit=2) == WAITING[::-1]
    assert await _all(client, as_a, wf, nodeId="wait", state="waiting", version=1) == WAITING[::-1]
    assert await _all(client, as_a, wf, nodeId="wait", state="waiting", version=2) == []
    assert await _all(client, as_a, wf, nodeId="mail", state="waiting") == []


async def test_entered_failed_and_branch_list_the_right_contacts(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine
) -> None:
    wf = await seeded(client, as_a, engine)
    assert await _all(client, as_a, wf, nodeId="wait", state="entered", limit=3) == ["c7", *WAITING[::-1]]
    assert await _all(client, as_a, wf, nodeId="sub", state="failed") == ["c6", "c5"]
    assert await _all(client, as_a, wf, nodeId="wait", state="failed") == []
    assert await _all(client, as_a, wf, nodeId="check", state="branch", branch="true") == ["c6", "c5"]
    assert await _all(client, as_a, wf, nodeId="check", state="branch", branch="false") == [
        "c7",
        *WAITING[::-1],
    ]
    assert await _all(client, as_a, wf, nodeId="check", state="branch", branch="maybe") == []


async def test_another_tenant_gets_a_404_on_every_analytics_route(
    client: httpx.AsyncClient, as_a: dict[str, str], as_b: dict[str, str], engine: AsyncEngine
) -> None:
    wf = await seeded(client, as_a, engine)
    base = f"{BASE}/{wf['id']}"
    routes = [
        (f"{base}/stats/timeseries", {"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"}),
        (f"{base}/stats/funnel", {}),
        (f"{base}/stats/splits", {}),
        (f"{base}/insights", {}),
        (f"{base}/stats/contacts", {"nodeId": "wait"}),
    ]
    for url, params in routes:
        assert (await client.get(url, headers=as_a, params=params)).status_code == 200, url
        resp = await client.get(url, headers=as_b, params=params)
        assert resp.status_code == 404, (url, resp.text)
        assert wf["id"] in resp.json()["error"]["message"]
    resp = await client.post(f"{base}/runs/cancel", headers=as_b, json={"currentNodeId": "wait"})
    assert resp.status_code == 404


@pytest.mark.parametrize(
    ("route", "params", "says"),
    [
        ("stats/contacts", {"nodeId": "check", "state": "branch"}, "branch"),
        ("stats/contacts", {"nodeId": "wait", "limit": 101}, "limit"),
        ("stats/contacts", {"state": "waiting"}, "nodeId"),
        ("stats/contacts", {"nodeId": "wait", "cursor": "nope"}, "cursor"),
        ("stats/funnel", {"version": 0}, "version"),
        ("stats/timeseries", {"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "after"),
        ("stats/timeseries", {"from": "2026-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "after"),
        (
            "stats/timeseries",
            {"from": "2026-01-01T00:00:00Z", "to": "2026-03-01T00:00:00Z", "interval": "hour"},
            "1000",
        ),
        ("stats/timeseries", {"from": "2026-01-01T00:00:00Z", "to": "2029-01-01T00:00:00Z"}, "1000"),
        ("stats/timeseries", {"from": "2026-01-01", "to": "2026-01-02T00:00:00Z"}, "RFC 3339"),
        ("stats/timeseries", {"from": "2026-01-01T00:00:00Z"}, "to"),
    ],
)
async def test_bad_input_is_a_422_that_says_why(
    client: httpx.AsyncClient,
    as_a: dict[str, str],
    route: str,
    params: dict[str, Any],
    says: str,
) -> None:
    wf = await create(client, as_a, **FLOW)
    resp = await client.get(f"{BASE}/{wf['id']}/{route}", headers=as_a, params=params)
    assert resp.status_code == 422, resp.text
    assert says in resp.text


async def test_bulk_cancel_by_current_node_cancels_only_the_runs_waiting_there(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine
) -> None:
    wf = await seeded(client, as_a, engine)
    waiting = await _page(client, as_a, wf, nodeId="wait", state="waiting", limit=100)
    run_ids = {i["runId"] for i in waiting["items"]}
    url = f"{BASE}/{wf['id']}/runs/cancel"
    none = await client.post(url, headers=as_a, json={"currentNodeId": "wait", "version": 2})
    assert none.json()["data"] == {"cancelRequested": 0, "more": False}
    elsewhere = await client.post(url, headers=as_a, json={"currentNodeId": "mail"})
    assert elsewhere.json()["data"]["cancelRequested"] == 0
    assert await outbox_rows(engine) == []
    resp = await client.post(url, headers=as_a, json={"currentNodeId": "wait", "version": 1, "reason": "fix"})
    assert resp.status_code == 202, resp.text
    assert resp.json()["data"] == {"cancelRequested": 5, "more": False}
    envelopes = [orjson.loads(r.value) for r in await outbox_rows(engine)]
    assert {e["data"]["runId"] for e in envelopes} == run_ids
    assert {e["type"] for e in envelopes} == {"workflow.run.cancel_requested"}
    bad = await client.post(url, headers=as_a, json={"currentNodeId": "", "version": 0})
    assert bad.status_code == 422


async def test_a_page_cut_short_by_the_scan_budget_goes_on_from_where_it_stopped(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    wf = await seeded(client, as_a, engine)
    monkeypatch.setattr(service, "WINDOW", 2)
    monkeypatch.setattr(service, "MAX_WINDOW", 2)
    monkeypatch.setattr(service, "SCAN_BUDGET", 2)
    # Two runs read per request: the newest two (c7, c6) hold one run that entered sub (c6), and the page
    # ends there with a cursor ...
    first = await _page(client, as_a, wf, nodeId="sub", state="entered", limit=1)
    assert [i["contactId"] for i in first["items"]] == ["c6"]
    assert first["nextCursor"] is not None
    # ... and paging on finds every one, in order.
    assert await _all(client, as_a, wf, nodeId="sub", state="entered", limit=1) == ["c6", "c5"]
    assert await _all(client, as_a, wf, nodeId="wait", state="entered", limit=1) == ["c7", *WAITING[::-1]]
