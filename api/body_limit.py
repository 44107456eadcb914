"""A cap on request bodies, enforced on the bytes that arrive (not on what Content-Length claims).

A pure ASGI middleware: it refuses a declared Content-Length over the cap before reading anything, and
otherwise reads the body (chunked or not) only up to the cap, answering 413 in the error envelope as soon
as one byte too many arrives. The handlers then read the buffered body; JSON endpoints buffered it anyway.

Before the 413 goes out, the rest of the body is read and dropped within a small budget (bytes and
seconds): a server that closes a connection with unread data makes the kernel reset it, and a client
still sending would see a reset instead of the 413. Past the budget the 413 is sent and the connection
closed. (The ASGI server ends the request's input once the response is complete, hence before.)
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Final

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_CODE: Final = "payload_too_large"
_DRAIN_BYTES: Final = 4 * 1024 * 1024
_DRAIN_SECONDS: Final = 2.0


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _drain(receive)
            await self._refuse(send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                # The client went away: let the app see the disconnect.
                await self.app(scope, _replay([], message, receive), send)
                return
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                if message.get("more_body", False):
                    await _drain(receive)
                await self._refuse(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(chunks, None, receive), send)

    async def _refuse(self, send: Send) -> None:
        body = orjson.dumps(
            {
                "success": False,
                "error": {
                    "code": _CODE,
                    "message": f"the request body exceeds {self.max_bytes} bytes",
                    "details": {"maxBytes": self.max_bytes},
                },
            }
        )
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def _drain(receive: Receive) -> None:
    budget = _DRAIN_BYTES
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(_DRAIN_SECONDS):
            while budget > 0:
                message = await receive()
                if message["type"] != "http.request" or not message.get("more_body", False):
                    return
                budget -= len(message.get("body", b""))


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _replay(chunks: list[bytes], pending: Message | None, receive: Receive) -> Receive:
    """The buffered body as one message, then whatever the server sends next (e.g. http.disconnect)."""
    delivered = False

    async def replayed() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            if pending is not None:
                return pending
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        return await receive()

    return replayed
