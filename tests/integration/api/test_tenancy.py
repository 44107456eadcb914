"""Every route scoped to a workflow answers 404 to another tenant, and changes nothing."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.api.conftest import create, outbox_rows
from tests.integration.api.test_runs import seeded

pytestmark = pytest.mark.integration
BASE = "/api/v1/workflows"

ROUTES = [
    ("GET", "{wf}", None),
    ("PATCH", "{wf}", {"name": "stolen"}),
    ("DELETE", "{wf}", None),
    ("POST", "{wf}/activate", None),
    ("POST", "{wf}/pause", None),
    ("GET", "{wf}/stats", None),
    ("GET", "{wf}/runs", None),
    ("GET", "{wf}/runs/{run}", None),
    ("POST", "{wf}/runs/{run}/cancel", None),
    ("POST", "{wf}/trigger", {"contactId": "c1"}),
    ("GET", "{wf}/versions", None),
    ("POST", "{wf}/versions/1/revert", None),
    ("POST", "{wf}/simulate", {}),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
async def test_other_tenant_gets_404(
    client: httpx.AsyncClient,
    as_a: dict[str, str],
    as_b: dict[str, str],
    engine: AsyncEngine,
    method: str,
    path: str,
    body: dict[str, str] | None,
) -> None:
    wf = await seeded(client, as_a, engine)
    await client.post(f"{BASE}/{wf['id']}/activate", headers=as_a)
    runs = (await client.get(f"{BASE}/{wf['id']}/runs", params={"status": "running"}, headers=as_a)).json()
    run = runs["data"]["items"][0]["id"]
    before = await outbox_rows(engine)
    url = f"{BASE}/" + path.format(wf=wf["id"], run=run)
    resp = await client.request(method, url, json=body, headers=as_b)
    assert resp.status_code == 404, resp.text
    assert resp.json()["success"] is False
    assert await outbox_rows(engine) == before
    mine = await client.get(f"{BASE}/{wf['id']}", headers=as_a)
    assert mine.json()["data"]["name"] == "New User Onboarding"
    assert mine.json()["data"]["status"] == "active"


async def test_lists_show_only_own_workflows(
    client: httpx.AsyncClient, as_a: dict[str, str], as_b: dict[str, str]
) -> None:
    await create(client, as_a)
    theirs = await create(client, as_b, name="B's")
    listed = (await client.get(BASE, headers=as_b)).json()["data"]["items"]
    assert [w["id"] for w in listed] == [theirs["id"]]
