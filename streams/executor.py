"""The action executor: ``webhook`` and ``slack`` effects over HTTP; results go back to ``workflows.events``.

Each attempt is bounded by the effect's ``timeoutMs``; failures that may pass (network errors, 408, 429,
5xx) are retried with exponential backoff and full jitter; the engine's ``action_timeout`` timer bounds all
attempts together. Responses are read up to a size cap. The SSRF guard refuses URLs whose host resolves to a
loopback, private, link-local, reserved or cloud-metadata address unless the host or a network containing
its address is allow-listed (``WORKFLOWS_EXECUTOR_ALLOW_HOSTS``). The guard resolves before connecting, so a
DNS answer that changes between the check and the connection (rebinding) is not caught: run the worker
behind an egress proxy where that matters.

Results are at-least-once per action key: an effect handed over when the worker crashes before the call
ends is not retried by a restart; the run's action_timeout timer then fails (or continues) the run.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from streams.engine import CallWebhook, Effect, SendSlack
from streams.engine import event_types as et
from streams.metrics import Metrics
from streams.timers import iso
from streams.worker_settings import WorkerSettings

log = logging.getLogger("streams.executor")

_METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata", "instance-data"})
_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})

Emit = Callable[[list[dict[str, Any]]], Awaitable[None]]


class ActionError(Exception):
    """An action failed for good (the message goes into workflow.action.failed)."""


class _RetryableError(Exception):
    pass


def _refused(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return bool(
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
        or ip == ipaddress.ip_address("100.100.100.200")  # Alibaba metadata (carrier-grade NAT range)
        or ip in ipaddress.ip_network("100.64.0.0/10")
    )


class SsrfGuard:
    def __init__(self, allow: list[str]) -> None:
        self._hosts = {a.lower() for a in allow if not _is_network(a)}
        self._networks = [ipaddress.ip_network(a, strict=False) for a in allow if _is_network(a)]

    async def check(self, url: str) -> None:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:  # e.g. a port out of range, a malformed IPv6 literal
            raise ActionError(f"refused URL: {exc}") from exc
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ActionError(f"refused URL {_safe_url(url)}: only http(s) URLs with a host are allowed")
        host = parts.hostname.lower()
        if host in self._hosts:
            return
        if host in _METADATA_HOSTS:
            raise ActionError(f"refused URL {_safe_url(url)}: cloud metadata host")
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port or 443, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise _RetryableError(f"cannot resolve {host}: {exc}") from exc
        for info in infos:
            ip = ipaddress.ip_address(info[4][0])
            if any(ip in net for net in self._networks):
                continue
            if _refused(ip):
                raise ActionError(
                    f"refused URL {_safe_url(url)}: {host} resolves to a non-public address {ip}"
                )


def _is_network(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True


def _safe_url(url: str) -> str:
    """Scheme, host and path only: query strings and credentials often carry secrets."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{f'[{host}]' if ':' in host else host}{parts.path}"


class ActionExecutor:
    def __init__(
        self,
        ws: WorkerSettings,
        *,
        emit: Emit,
        metrics: Metrics,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.ws = ws
        self._emit = emit
        self._metrics = metrics
        self._guard = SsrfGuard(ws.executor_allow_hosts)
        self._client = httpx.AsyncClient(transport=transport, follow_redirects=False)
        self._queue: asyncio.Queue[Effect] = asyncio.Queue(maxsize=10_000)
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._worker()) for _ in range(self.ws.executor_concurrency)]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._client.aclose()

    async def submit(self, effect: Effect) -> None:
        # A full queue makes the unit wait: backpressure instead of unbounded memory.
        await self._queue.put(effect)

    async def _worker(self) -> None:
        while True:
            effect = await self._queue.get()
            try:
                envelope = await self.run(effect)
                await self._emit([envelope])
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception(
                    "action result could not be produced", extra={"idempotencyKey": effect.idempotency_key}
                )

    async def run(self, effect: Effect) -> dict[str, Any]:
        """Execute with retries; returns the result envelope (completed or failed)."""
        try:
            output = await self._with_retries(effect)
        except ActionError as exc:
            self._metrics.actions.labels("failed").inc()
            return _result(effect, et.ACTION_FAILED, {"error": {"message": str(exc)[:1000]}})
        self._metrics.actions.labels("completed").inc()
        return _result(effect, et.ACTION_COMPLETED, {"output": output})

    async def _with_retries(self, effect: Effect) -> dict[str, Any]:
        attempts = self.ws.executor_attempts
        for attempt in range(1, attempts + 1):
            try:
                return await self._attempt(effect)
            except _RetryableError as exc:
                if attempt == attempts:
                    raise ActionError(f"{exc} (after {attempts} attempts)") from exc
                cap = min(
                    self.ws.executor_backoff_max_s, self.ws.executor_backoff_base_s * 2 ** (attempt - 1)
                )
                await asyncio.sleep(random.uniform(0, cap))  # noqa: S311 - jitter, not security
        raise AssertionError("unreachable")

    async def _attempt(self, effect: Effect) -> dict[str, Any]:
        if isinstance(effect, CallWebhook):
            await self._guard.check(effect.url)
            headers = {str(k): str(v) for k, v in effect.headers.items()}
            body = effect.body
            content = (
                body.encode() if isinstance(body, str) else orjson.dumps(body) if body is not None else None
            )
            if content is not None and not isinstance(body, str):
                headers.setdefault("content-type", "application/json")
            return await self._send(effect.method, effect.url, headers, content, effect.timeout_ms)
        if isinstance(effect, SendSlack):
            payload: dict[str, Any] = {"text": effect.message}
            if effect.blocks is not None:
                payload["blocks"] = effect.blocks
            if effect.webhook_url:
                await self._guard.check(effect.webhook_url)
                return await self._send(
                    "POST",
                    effect.webhook_url,
                    {"content-type": "application/json"},
                    orjson.dumps(payload),
                    effect.timeout_ms,
                )
            token = self.ws.slack_bot_token
            if token is None or not effect.channel:
                raise ActionError("slack: no webhookUrl, and no channel with a configured bot token")
            payload["channel"] = effect.channel
            output = await self._send(
                "POST",
                self.ws.slack_api_url,
                {"content-type": "application/json", "authorization": f"Bearer {token.get_secret_value()}"},
                orjson.dumps(payload),
                effect.timeout_ms,
            )
            body = output.get("body")
            if isinstance(body, dict) and body.get("ok") is False:
                raise ActionError(f"slack API error: {body.get('error')}")
            return output
        raise ActionError(f"no executor for {effect.kind}")

    async def _send(
        self, method: str, url: str, headers: dict[str, str], content: bytes | None, timeout_ms: int
    ) -> dict[str, Any]:
        cap = self.ws.executor_max_response_bytes
        started = time.perf_counter()
        try:
            async with self._client.stream(
                method, url, headers=headers, content=content, timeout=timeout_ms / 1000
            ) as response:
                chunks, size, truncated = [], 0, False
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > cap:
                        truncated = True
                        chunks.append(chunk[: cap - (size - len(chunk))])
                        break
                    chunks.append(chunk)
        except httpx.TimeoutException as exc:
            raise _RetryableError(f"{method} {_safe_url(url)} timed out after {timeout_ms} ms") from exc
        except httpx.TransportError as exc:
            raise _RetryableError(f"{method} {_safe_url(url)} failed: {type(exc).__name__}") from exc
        status = response.status_code
        if status in _RETRY_STATUS:
            raise _RetryableError(f"{method} {_safe_url(url)} answered {status}")
        if status >= 400:
            raise ActionError(f"{method} {_safe_url(url)} answered {status}")
        raw = b"".join(chunks)
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


def _result(effect: Effect, kind: str, data: dict[str, Any]) -> dict[str, Any]:
    outcome = "completed" if kind == et.ACTION_COMPLETED else "failed"
    return {
        "id": f"action:{effect.idempotency_key}:{outcome}",
        "type": kind,
        "tenantId": effect.tenant_id,
        "contactId": effect.contact_id,
        "occurredAt": iso(int(time.time() * 1000)),
        "data": {
            "runId": effect.run_id,
            "nodeId": effect.node_id,
            "idempotencyKey": effect.idempotency_key,
            **data,
        },
    }
