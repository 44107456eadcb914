"""The action executor: ``webhook`` and ``slack`` effects over HTTP; results go back to ``workflows.events``.

Actions come from the pending action keys of the partition store (``streams.actions``): ``offer`` takes one
if there is a free slot (at most ``executor_concurrency`` in flight, ``executor_tenant_concurrency`` per
tenant) and returns at once either way, so a full executor never holds a commit unit; a refused action
stays pending and is offered again by the sweep.

Each attempt has one deadline over connect, send and read (the effect's ``timeoutMs``, at most
``executor_max_timeout_ms``): a server that drips its answer is cut there. Failures that may pass
(network errors, timeouts, 408, 429, 5xx) are retried with exponential backoff and full jitter; the
engine's action_timeout timer bounds all attempts together. Responses are read up to a size cap counted
after decompression. Every call carries ``Idempotency-Key: {runId}:{nodeId}:{visit}``: an action may be
called again after a restart or a partition move, and receivers drop the repeat by that key.

The SSRF guard (``streams.http.guard``) checks the URL the executor got, which is the rendered one, and the
transport connects only to addresses the guard validated (``streams.http.transport``). Logs and error
messages name a URL as ``scheme://host`` and never carry header values.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import zlib
from collections.abc import Awaitable, Callable
from typing import Any, Final

import httpx
import orjson

from streams.actions import HttpAction
from streams.engine import CallWebhook
from streams.engine import event_types as et
from streams.http.body import ACCEPT_ENCODING, read_capped
from streams.http.guard import ActionError, Resolver, RetryableError, SsrfGuard, safe_url
from streams.http.transport import PinnedTransport
from streams.metrics import Metrics
from streams.worker_settings import WorkerSettings
from workflows.wire import envelope

__all__ = ["ActionError", "ActionExecutor", "SsrfGuard"]

log = logging.getLogger("streams.executor")

_RETRY_STATUS: Final = frozenset({408, 425, 429, 500, 502, 503, 504})
IDEMPOTENCY_HEADER: Final = "Idempotency-Key"
_OWN_HEADERS: Final = frozenset({"idempotency-key", "accept-encoding"})  # set by the executor, not the node

Emit = Callable[[list[dict[str, Any]]], Awaitable[None]]


class ActionExecutor:
    def __init__(
        self,
        ws: WorkerSettings,
        *,
        emit: Emit,
        metrics: Metrics,
        transport: httpx.AsyncBaseTransport | None = None,
        resolver: Resolver | None = None,
        on_free: Callable[[], None] | None = None,
    ) -> None:
        self.ws = ws
        self._emit = emit
        self._metrics = metrics
        self._guard = SsrfGuard(ws.executor_allow_hosts, ports=ws.executor_allow_ports, resolver=resolver)
        # An injected transport (tests' MockTransport) never connects: the guard then resolves beforehand.
        self._pinned = transport is None
        self._client = httpx.AsyncClient(
            transport=transport or PinnedTransport(self._guard, max_connections=ws.executor_concurrency),
            follow_redirects=False,
            trust_env=False,
        )
        self._on_free = on_free
        self._tasks: dict[str, asyncio.Task[None]] = {}  # idempotency key -> its call
        self._per_tenant: dict[str, int] = {}
        self._done: dict[str, float] = {}  # idempotency key -> when its result was produced (monotonic)
        self._stopped = False

    # -- slots -----------------------------------------------------------------------------------------------
    def in_flight(self, key: str) -> bool:
        return key in self._tasks

    def has_room(self) -> bool:
        return not self._stopped and len(self._tasks) < self.ws.executor_concurrency

    def recently_done(self, key: str, mono: float) -> bool:
        done = self._done.get(key)
        return done is not None and mono - done < self.ws.executor_resubmit_s

    def forget_done(self, mono: float) -> None:
        limit = self.ws.executor_resubmit_s
        self._done = {k: t for k, t in self._done.items() if mono - t < limit}

    def offer(self, effect: HttpAction) -> bool:
        """Take the action if a slot is free (True; also when it is already in flight). Never waits."""
        key = effect.idempotency_key
        if key in self._tasks:
            return True
        tenant = effect.tenant_id
        if not self.has_room() or self._per_tenant.get(tenant, 0) >= self.ws.executor_tenant_concurrency:
            return False
        self._per_tenant[tenant] = self._per_tenant.get(tenant, 0) + 1
        self._tasks[key] = asyncio.create_task(self._call(effect), name=f"action {key}")
        return True

    async def start(self) -> None:
        self._stopped = False

    async def stop(self) -> None:
        self._stopped = True
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._client.aclose()

    async def _call(self, effect: HttpAction) -> None:
        key = effect.idempotency_key
        try:
            envelope = await self.run(effect)
            await self._emit([envelope])
            self._done[key] = time.monotonic()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # The key stays pending: the sweep offers the action again.
            log.error(
                "action result could not be produced",
                extra={"idempotencyKey": key, "error": type(exc).__name__},
            )
        finally:
            del self._tasks[key]
            left = self._per_tenant[effect.tenant_id] - 1
            if left:
                self._per_tenant[effect.tenant_id] = left
            else:
                del self._per_tenant[effect.tenant_id]
            if self._on_free is not None and not self._stopped:
                self._on_free()

    # -- one action ------------------------------------------------------------------------------------------
    async def run(self, effect: HttpAction) -> dict[str, Any]:
        """Execute with retries; returns the result envelope (completed or failed)."""
        try:
            output = await self._with_retries(effect)
        except ActionError as exc:
            self._metrics.actions.labels("failed").inc()
            return _result(effect, et.ACTION_FAILED, {"error": {"message": str(exc)[:1000]}})
        self._metrics.actions.labels("completed").inc()
        return _result(effect, et.ACTION_COMPLETED, {"output": output})

    async def _with_retries(self, effect: HttpAction) -> dict[str, Any]:
        attempts = self.ws.executor_attempts
        for attempt in range(1, attempts + 1):
            try:
                return await self._attempt(effect)
            except RetryableError as exc:
                if attempt == attempts:
                    raise ActionError(f"{exc} (after {attempts} attempts)") from exc
                cap = min(
                    self.ws.executor_backoff_max_s, self.ws.executor_backoff_base_s * 2 ** (attempt - 1)
                )
                await asyncio.sleep(random.uniform(0, cap))  # noqa: S311 - jitter, not security
        raise AssertionError("unreachable")

    async def _attempt(self, effect: HttpAction) -> dict[str, Any]:
        if isinstance(effect, CallWebhook):
            headers = {str(k): str(v) for k, v in effect.headers.items()}
            body = effect.body
            content = (
                body.encode() if isinstance(body, str) else orjson.dumps(body) if body is not None else None
            )
            if content is not None and not isinstance(body, str):
                headers.setdefault("content-type", "application/json")
            return await self._send(effect, effect.method, effect.url, headers, content)
        payload: dict[str, Any] = {"text": effect.message}
        if effect.blocks is not None:
            payload["blocks"] = effect.blocks
        if effect.webhook_url:
            json_headers = {"content-type": "application/json"}
            return await self._send(effect, "POST", effect.webhook_url, json_headers, orjson.dumps(payload))
        token = self.ws.slack_bot_token
        if token is None or not effect.channel:
            raise ActionError("slack: no webhookUrl, and no channel with a configured bot token")
        payload["channel"] = effect.channel
        output = await self._send(
            effect,
            "POST",
            self.ws.slack_api_url,
            {"content-type": "application/json", "authorization": f"Bearer {token.get_secret_value()}"},
            orjson.dumps(payload),
        )
        answer = output.get("body")
        if isinstance(answer, dict) and answer.get("ok") is False:
            raise ActionError(f"slack API error: {answer.get('error')}")
        return output

    async def _send(
        self, effect: HttpAction, method: str, url: str, headers: dict[str, str], content: bytes | None
    ) -> dict[str, Any]:
        if self._pinned:
            self._guard.check_url(url)  # the transport resolves and validates the addresses
        else:
            await self._guard.check(url)
        headers = {k: v for k, v in headers.items() if k.lower() not in _OWN_HEADERS}
        headers[IDEMPOTENCY_HEADER] = effect.idempotency_key
        headers["accept-encoding"] = ACCEPT_ENCODING
        timeout_ms = min(max(effect.timeout_ms, 1), self.ws.executor_max_timeout_ms)
        cap = self.ws.executor_max_response_bytes
        started = time.perf_counter()
        try:
            async with asyncio.timeout(timeout_ms / 1000):
                async with self._client.stream(
                    method, url, headers=headers, content=content, timeout=timeout_ms / 1000
                ) as response:
                    raw, truncated = await read_capped(response, cap)
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise RetryableError(f"{method} {safe_url(url)} timed out after {timeout_ms} ms") from exc
        except httpx.TransportError as exc:
            raise RetryableError(f"{method} {safe_url(url)} failed: {type(exc).__name__}") from exc
        except zlib.error as exc:  # a corrupt compressed body
            raise ActionError(f"{method} {safe_url(url)} failed: {type(exc).__name__}") from exc
        status = response.status_code
        if status in _RETRY_STATUS:
            raise RetryableError(f"{method} {safe_url(url)} answered {status}")
        if status >= 400:
            raise ActionError(f"{method} {safe_url(url)} answered {status}")
        body: Any
        try:
            body = orjson.loads(raw) if raw and not truncated else raw.decode(errors="replace")
        except orjson.JSONDecodeError:
            body = raw.decode(errors="replace")
        return {
            "status": status,
            "body": body,
            "truncated": truncated,
            "durationMs": round((time.perf_counter() - started) * 1000),
        }


def _result(effect: HttpAction, kind: str, data: dict[str, Any]) -> dict[str, Any]:
    outcome = "completed" if kind == et.ACTION_COMPLETED else "failed"
    return envelope(
        kind,
        event_id=f"action:{effect.idempotency_key}:{outcome}",
        tenant_id=effect.tenant_id,
        contact_id=effect.contact_id,
        data={
            "runId": effect.run_id,
            "nodeId": effect.node_id,
            "idempotencyKey": effect.idempotency_key,
            **data,
        },
    )
