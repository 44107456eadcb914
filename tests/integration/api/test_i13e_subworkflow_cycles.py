"""A cycle through run_workflow is refused when a workflow becomes active (409 subworkflow_cycle, naming the
cycle and the node's path); a chain without a cycle, and a cycle through a workflow that is not active, are
accepted; a new version of an active workflow that closes a cycle is refused too."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.api.conftest import create

pytestmark = pytest.mark.integration
BASE = "/api/v1/workflows"


def calls(workflow_id: str, *, node_id: str = "rw") -> dict[str, Any]:
    """A definition whose only node starts ``workflow_id`` without waiting."""
    return {
        "nodes": [
            {
                "id": node_id,
                "type": "run_workflow",
                "position": {"x": 0, "y": 0},
                "data": {"workflowId": workflow_id, "wait": False},
            }
        ],
        "edges": [{"source": "trigger", "target": node_id}],
    }


async def activate(client: httpx.AsyncClient, headers: dict[str, str], wf: dict[str, Any]) -> httpx.Response:
    return await client.post(f"{BASE}/{wf['id']}/activate", headers=headers)


async def test_a_cycle_through_run_workflow_is_refused_at_activation(
    client: httpx.AsyncClient, as_a: dict[str, str]
) -> None:
    leaf = await create(client, as_a)
    b = await create(client, as_a, **calls(leaf["id"]))
    a = await create(client, as_a, **calls(b["id"]))
    for wf in (leaf, b, a):
        assert (await activate(client, as_a, wf)).status_code == 200  # a chain, no cycle

    # b pauses, starts a instead of leaf, and is activated again: a -> b -> a.
    assert (await client.post(f"{BASE}/{b['id']}/pause", headers=as_a)).status_code == 200
    resp = await client.patch(f"{BASE}/{b['id']}", json=calls(a["id"], node_id="again"), headers=as_a)
    assert resp.status_code == 200, resp.text
    refused = await activate(client, as_a, b)
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "subworkflow_cycle"
    assert error["details"] == {
        "cycle": [b["id"], a["id"], b["id"]],
        "nodeId": "again",
        "path": "$.nodes[0].data.workflowId",
    }
    assert "cycle" in error["message"]
    assert (await client.get(f"{BASE}/{b['id']}", headers=as_a)).json()["data"]["status"] == "paused"


async def test_a_workflow_starting_itself_is_refused(client: httpx.AsyncClient, as_a: dict[str, str]) -> None:
    wf = await create(client, as_a)
    resp = await client.patch(f"{BASE}/{wf['id']}", json=calls(wf["id"]), headers=as_a)
    assert resp.status_code == 200, resp.text
    refused = await activate(client, as_a, wf)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["details"]["cycle"] == [wf["id"], wf["id"]]


async def test_only_active_workflows_close_a_cycle(client: httpx.AsyncClient, as_a: dict[str, str]) -> None:
    a = await create(client, as_a)
    b = await create(client, as_a, **calls(a["id"]))
    resp = await client.patch(f"{BASE}/{a['id']}", json=calls(b["id"]), headers=as_a)
    assert resp.status_code == 200, resp.text
    assert (await activate(client, as_a, a)).status_code == 200  # b is a draft: no cycle yet
    refused = await activate(client, as_a, b)
    assert refused.status_code == 409, refused.text


async def test_a_new_version_of_an_active_workflow_that_closes_a_cycle_is_refused(
    client: httpx.AsyncClient, as_a: dict[str, str], as_b: dict[str, str]
) -> None:
    a = await create(client, as_a)
    b = await create(client, as_a, **calls(a["id"]))
    for wf in (a, b):
        assert (await activate(client, as_a, wf)).status_code == 200
    refused = await client.patch(f"{BASE}/{a['id']}", json=calls(b["id"]), headers=as_a)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "subworkflow_cycle"
    # Another tenant's workflows are never part of the graph.
    other = await create(client, as_b, **calls(b["id"]))
    assert (await activate(client, as_b, other)).status_code == 200


def waits_for(workflow_id: str) -> dict[str, Any]:
    """A parent that waits for ``workflow_id`` then sends an email; a failed child ends the run."""
    return {
        "nodes": [
            {
                "id": "rw",
                "type": "run_workflow",
                "position": {"x": 0, "y": 0},
                "data": {"workflowId": workflow_id, "wait": True},
            },
            {
                "id": "after",
                "type": "send_email",
                "position": {"x": 0, "y": 0},
                "data": {"templateId": "tpl-after"},
            },
            {"id": "stop", "type": "end", "position": {"x": 0, "y": 0}, "data": {}},
        ],
        "edges": [
            {"source": "trigger", "target": "rw"},
            {"source": "rw", "target": "after", "branch": "completed"},
            {"source": "rw", "target": "after", "branch": "goal_reached"},
            {"source": "rw", "target": "stop", "branch": "failed"},
        ],
    }


async def test_simulate_runs_the_tenants_active_sub_workflows(
    client: httpx.AsyncClient, as_a: dict[str, str], as_b: dict[str, str]
) -> None:
    child = await create(client, as_a)  # the default definition: an email, a delay, an end
    assert (await activate(client, as_a, child)).status_code == 200
    parent = await create(client, as_a, **waits_for(child["id"]))
    body = {"contact": {"email": "a@example.com"}, "events": [{"type": "contact.created", "at": 0}]}
    resp = await client.post(f"{BASE}/{parent['id']}/simulate", json=body, headers=as_a)
    assert resp.status_code == 200, resp.text
    out = resp.json()["data"]
    assert out["path"] == ["rw", "after"]  # the parent waited for the child, which completed
    statuses = {run["workflowId"]: run["status"] for run in out["runs"].values()}
    assert statuses == {parent["id"]: "completed", child["id"]: "completed"}
    child_run = next(rid for rid, run in out["runs"].items() if run["workflowId"] == child["id"])
    assert out["paths"][child_run]  # the child's own path is in the answer

    # Another tenant's active workflow with the same shape is never started: its id is not this tenant's.
    foreign = await create(client, as_b)
    assert (await activate(client, as_b, foreign)).status_code == 200
    crossing = await create(client, as_a, **waits_for(foreign["id"]))
    resp = await client.post(f"{BASE}/{crossing['id']}/simulate", json=body, headers=as_a)
    assert resp.status_code == 200, resp.text
    out = resp.json()["data"]
    assert out["path"] == ["rw"]
    [run] = out["runs"].values()  # no run of the other tenant's workflow
    assert (run["workflowId"], run["status"]) == (crossing["id"], "failed")
    assert "is not active" in run["errorMessage"]
