"""API request bodies are capped (1 MiB by default): 413 in the error envelope, counted on the bytes that
arrive, so neither a missing Content-Length (chunked) nor a lying one gets a larger body in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from fastapi import FastAPI

from tests.integration.api.conftest import definition
from tests.security.edge_server import serving

pytestmark = pytest.mark.integration

TWO_MB = 2 * 1024 * 1024
URL = "/api/v1/workflows"


def _big_definition(size: int) -> bytes:
    body = definition()
    body["description"] = "x" * size
    return orjson.dumps(body)


def _assert_413(resp: httpx.Response) -> None:
    assert resp.status_code == 413, resp.text
    body = resp.json()
    assert body["success"] is False
    assert body["error"]["code"] == "payload_too_large"
    assert body["error"]["details"] == {"maxBytes": 1024 * 1024}


async def test_two_megabytes_with_content_length_get_413(
    client: httpx.AsyncClient, as_a: dict[str, str]
) -> None:
    payload = _big_definition(TWO_MB)
    resp = await client.post(URL, content=payload, headers={**as_a, "Content-Type": "application/json"})
    _assert_413(resp)


async def test_two_megabytes_chunked_get_413(client: httpx.AsyncClient, as_a: dict[str, str]) -> None:
    payload = _big_definition(TWO_MB)

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(payload), 64 * 1024):
            yield payload[i : i + 64 * 1024]

    resp = await client.post(URL, content=chunks(), headers={**as_a, "Content-Type": "application/json"})
    assert "content-length" not in resp.request.headers
    _assert_413(resp)


async def test_a_body_under_the_cap_reaches_the_endpoint(
    client: httpx.AsyncClient, as_a: dict[str, str]
) -> None:
    payload = _big_definition(900 * 1024)
    resp = await client.post(URL, content=payload, headers={**as_a, "Content-Type": "application/json"})
    assert resp.status_code in (201, 422), resp.text  # the endpoint decided, not the cap


async def test_over_the_network_chunked_and_with_a_lying_content_length(
    app: FastAPI, as_a: dict[str, str]
) -> None:
    payload = _big_definition(TWO_MB)
    async with serving(app) as base:
        host, port = base.removeprefix("http://").split(":")
        # Chunked transfer encoding, written by hand: no Content-Length at all.
        reader, writer = await asyncio.open_connection(host, int(port))
        head = (
            f"POST {URL} HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\n"
            f"Authorization: {as_a['Authorization']}\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        writer.write(head.encode())
        try:
            for i in range(0, len(payload), 64 * 1024):
                chunk = payload[i : i + 64 * 1024]
                writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                await writer.drain()
            writer.write(b"0\r\n\r\n")
            await writer.drain()
        except ConnectionError:
            pass  # the server answered and closed before the end: that is the point
        answer = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        status_line, _, rest = answer.partition(b"\r\n")
        assert b" 413 " in status_line, answer[:200]
        assert b'"payload_too_large"' in rest

        async with httpx.AsyncClient(base_url=base) as http:
            resp = await http.post(URL, content=payload, headers={**as_a, "Content-Type": "application/json"})
            _assert_413(resp)
