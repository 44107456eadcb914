"""Text PostgreSQL refuses (NUL, lone surrogates) answers 422 on every route that takes text: bodies,
paths and query parameters, never a 503 from the database. Malformed JSON is a 422 too, never a 400."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.api.conftest import create, definition

pytestmark = pytest.mark.integration
BASE = "/api/v1/workflows"
NUL = "\x00"


def _assert_422(resp: httpx.Response, where: str) -> None:
    assert resp.status_code == 422, f"{where}: {resp.status_code} {resp.text}"
    body = resp.json()
    assert body["success"] is False
    assert body["error"]["details"], body
    assert NUL not in resp.text  # the answer never carries the refused character back


def _node_data(value: Any) -> dict[str, Any]:
    return definition(nodes=[{"id": "node-1", "type": "send_email", "data": {"templateId": value}}])


async def test_nul_in_bodies_is_422(
    client: httpx.AsyncClient, as_a: dict[str, str], engine: AsyncEngine
) -> None:
    wf = await create(client, as_a)
    cases: list[tuple[str, str, Any]] = [
        ("POST", BASE, definition(name=f"bad{NUL}name")),
        ("POST", BASE, definition(description=f"line{NUL}")),
        ("POST", BASE, _node_data(f"tpl{NUL}")),
        ("POST", BASE, definition(settings={f"key{NUL}": 1})),
        ("POST", f"{BASE}/validate", _node_data(NUL)),
        ("PATCH", f"{BASE}/{wf['id']}", {"name": NUL}),
        ("PATCH", f"{BASE}/{wf['id']}", {"description": f"x{NUL}y"}),
        ("PATCH", f"{BASE}/{wf['id']}", {"changelog": NUL}),
        ("POST", f"{BASE}/{wf['id']}/simulate", {"contact": {"email": NUL}, "events": []}),
        ("POST", f"{BASE}/{wf['id']}/trigger", {"contactId": f"c{NUL}"}),
        ("POST", f"{BASE}/{wf['id']}/runs/00000000-0000-0000-0000-000000000001/cancel", {"reason": NUL}),
    ]
    for method, url, body in cases:
        resp = await client.request(method, url, json=body, headers=as_a)
        _assert_422(resp, f"{method} {url} {body!r:.80}")
    # A lone surrogate is valid JSON but not UTF-8: PostgreSQL cannot take it either.
    raw = b'{"name": "x\\ud800", "trigger": {"type": "manual"}}'
    resp = await client.post(BASE, content=raw, headers={**as_a, "Content-Type": "application/json"})
    _assert_422(resp, "lone surrogate")
    async with engine.connect() as conn:
        count = (await conn.execute(text("SELECT count(*) FROM workflows"))).scalar_one()
    assert count == 1  # only the workflow created above


async def test_nul_in_paths_and_queries_is_422(client: httpx.AsyncClient, as_a: dict[str, str]) -> None:
    wf = await create(client, as_a)
    urls = [
        f"{BASE}?q=a%00b",
        f"{BASE}?triggerType=%00",
        f"{BASE}?cursor=%00",
        f"{BASE}/{wf['id']}/runs?contactId=c%00",
        f"{BASE}/{wf['id']}/runs?contactId=line%0Abreak",  # an identifier: no control character at all
        "/api/v1/outbox/failed?cursor=%00",
    ]
    for url in urls:
        _assert_422(await client.get(url, headers=as_a), url)
    _assert_422(await client.delete("/api/v1/contacts/c%00x", headers=as_a), "contact path")
    _assert_422(await client.post("/api/v1/hooks/tok%00en", json={}), "hook token path")


async def test_malformed_json_is_422_like_any_invalid_body(
    client: httpx.AsyncClient, as_a: dict[str, str]
) -> None:
    for raw in (b"\xff\xfe{", b'{"name": ', b"\xc3\x28"):
        for url in (BASE, f"{BASE}/validate", "/api/v1/hooks"):
            resp = await client.post(url, content=raw, headers={**as_a, "Content-Type": "application/json"})
            assert resp.status_code == 422, f"{url} {raw!r}: {resp.status_code} {resp.text}"
            assert resp.json()["error"]["details"][0]["code"] == "json_invalid"


async def test_clean_text_still_passes(client: httpx.AsyncClient, as_a: dict[str, str]) -> None:
    body = definition(name="Ünïcode ✓ onboarding", description="tabs\tand\nnewlines are text")
    resp = await client.post(BASE, json=body, headers=as_a)
    assert resp.status_code == 201, resp.text
    listed = await client.get(f"{BASE}?q=%C3%9Cn%C3%AF", headers=as_a)
    assert [w["name"] for w in listed.json()["data"]["items"]] == ["Ünïcode ✓ onboarding"]
