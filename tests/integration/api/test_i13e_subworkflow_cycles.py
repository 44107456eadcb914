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
