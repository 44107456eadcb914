"""Text PostgreSQL refuses, refused at the edge: a 422 naming where, instead of a 503 from the database.

PostgreSQL stores no NUL in ``text`` or ``jsonb`` (``\\u0000`` included), and a lone surrogate cannot be
encoded as UTF-8 at all. Both reach the API as valid JSON escapes or percent-encoded URLs, so one pure
ASGI middleware looks at every piece of text a route can take, before routing and authentication: the
path, the query string and a JSON body (keys and values, at any depth). A JSON body that is not UTF-8 or
not JSON is answered here too, with the same 422 FastAPI gives for malformed JSON (rather than its 400).

Numbers outside the 64-bit integer range (NaN and infinities too) are refused the same way: the records that
carry a definition or an event to Kafka cannot encode such integers.

Identifiers (``contactId`` in a path or query) follow ``workflows.identifiers``: no control character at
all, not only NUL. The body sits behind ``BodyLimitMiddleware``, which has buffered it (bounded) already.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, Final
from urllib.parse import parse_qsl

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workflows.identifiers import contact_id_problem

__all__ = [
    "CONTACT_ID_PATTERN",
    "INT_MAX",
    "INT_MIN",
    "NO_NUL_PATTERN",
    "TextGuardMiddleware",
    "forbidden_text",
]

# What the OpenAPI document declares on text fields (generated clients and fuzzers keep NUL out).
NO_NUL_PATTERN: Final = r"^[^\x00]*$"
# An identifier as ``workflows.identifiers`` has it: 1-100 characters, no control character.
CONTACT_ID_PATTERN: Final = r"^[^\x00-\x1f\x7f-\x9f]{1,100}$"
_REFUSED: Final = re.compile("[\x00\ud800-\udfff]")
_ID_PARAMETERS: Final = {"contactId": contact_id_problem}
_MAX_PROBLEMS: Final = 20
INT_MIN: Final = -(2**63)
INT_MAX: Final = 2**64 - 1


def forbidden_text(text: str) -> str | None:
    """Why PostgreSQL would refuse ``text`` (``None`` when it would store it)."""
    found = _REFUSED.search(text)
    if found is None:
        return None
    what = "NUL" if found.group() == "\x00" else "a lone surrogate"
    return f"contains {what} (U+{ord(found.group()):04X}) at position {found.start()}, which cannot be stored"


class TextGuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problems = list(_url_problems(scope))
        if problems:
            await _refuse(send, problems)
            return
        if not _is_json(scope):
            await self.app(scope, receive, send)
            return
        # BodyLimitMiddleware, outside this one, has bounded the body: reading it all here is safe.
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay(message, receive), send)  # the client went away
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        problems = _body_problems(body) if body.strip() else []
        if problems:
            await _refuse(send, problems)
            return
        whole: Message = {"type": "http.request", "body": body, "more_body": False}
        await self.app(scope, _replay(whole, receive), send)


def _url_problems(scope: Scope) -> Iterator[dict[str, str]]:
    path: str = scope.get("path", "")
    reason = forbidden_text(path)
    if reason is not None:
        yield _problem("path", "$", f"the path {reason}")
    query = scope.get("query_string", b"").decode("latin-1")
    # Decoded as Starlette decodes it (UTF-8, invalid bytes replaced): the values the routes will see.
    for name, value in parse_qsl(query, keep_blank_values=True):
        reason = forbidden_text(name) or forbidden_text(value)
        if reason is None and name in _ID_PARAMETERS:
            reason = _ID_PARAMETERS[name](value)
        if reason is not None:
            yield _problem("query", f"$.{name[:100]}", f"query parameter {name[:50]!r}: {reason}")


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            media: bytes = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return False


def _body_problems(body: bytes) -> list[dict[str, str]]:
    try:
        # The standard decoder keeps lone surrogates (``"\ud800"``) where orjson would only fail.
        value = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        return [_problem("body", "$", "the body is not UTF-8", code="json_invalid")]
    except (ValueError, RecursionError):
        return [_problem("body", "$", "the body is not valid JSON", code="json_invalid")]
    problems: list[dict[str, str]] = []
    for path, item in _scalars(value, "$"):
        reason = forbidden_text(item) if isinstance(item, str) else _out_of_range(item)
        if reason is not None:
            problems.append(_problem("body", path, reason))
            if len(problems) >= _MAX_PROBLEMS:
                break
    return problems


def _out_of_range(value: float) -> str | None:
    # Definitions and events travel as JSON through Kafka, whose encoder stops at 64-bit integers; one
    # range for every number (NaN and infinities fail it too) is what the document can declare.
    if INT_MIN <= value <= INT_MAX:
        return None
    return f"a number must lie between {INT_MIN} and {INT_MAX}"


def _scalars(value: Any, path: str) -> Iterator[tuple[str, str | float]]:
    """Every string (keys included) and number of a JSON value with its path; iterative (JSON can nest
    deep)."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, at = stack.pop()
        if isinstance(item, str | float) or (isinstance(item, int) and not isinstance(item, bool)):
            yield at, item
        elif isinstance(item, dict):
            for key, child in item.items():
                shown = key if key.isidentifier() else repr(key)
                yield f"{at}.{shown}", key
                stack.append((child, f"{at}.{shown}"))
        elif isinstance(item, list):
            stack.extend((child, f"{at}[{i}]") for i, child in enumerate(item))


def _problem(where: str, path: str, message: str, *, code: str = "invalid_text") -> dict[str, str]:
    # A path naming a key would carry the refused character back: it is escaped.
    escaped = path.encode("unicode_escape").decode("ascii")
    return {"path": escaped, "code": code, "in": where, "message": message}


async def _refuse(send: Send, problems: list[dict[str, str]]) -> None:
    body = orjson.dumps(
        {
            "success": False,
            "error": {
                "code": "invalid_request",
                "message": f"the request has {len(problems)} problem(s)",
                "details": problems,
            },
        }
    )
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 422, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _replay(first: Message, receive: Receive) -> Receive:
    delivered = False

    async def replayed() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return first
        return await receive()

    return replayed
