"""`/healthz` (liveness) and `/readyz` (readiness), both public.

`/healthz` answers as long as the process serves requests: no I/O, nothing about dependencies.
`/readyz` reports whether Kafka, PostgreSQL and NATS are reachable, as ``reachable`` / ``unreachable``
only: no versions, addresses or errors (those go to the log). One probe round runs at most once per
``readyz_cache_s`` whatever the request rate: concurrent requests wait for the round in flight, later
ones get its cached answer. PostgreSQL is probed through the app's pool and NATS over one kept
connection, so readiness checks open no new connections per request.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from workflows.probes import kafka_probe
from workflows.settings import Settings

log = logging.getLogger(__name__)
router = APIRouter(tags=["operations"])

_TIMEOUT_S = 3.0
Probe = Callable[[], Awaitable[bool]]


class Readiness:
    def __init__(
        self,
        probes: Mapping[str, Probe],
        *,
        cache_s: float,
        clock: Callable[[], float] = time.monotonic,
        close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.probes = dict(probes)
        self.rounds = 0  # probe rounds run so far (the cache's effect is visible in tests)
        self._cache_s = cache_s
        self._clock = clock
        self._close = close
        self._lock = asyncio.Lock()
        self._last: tuple[float, dict[str, bool]] | None = None

    async def check(self) -> dict[str, bool]:
        async with self._lock:
            if self._last is not None and self._clock() - self._last[0] < self._cache_s:
                return self._last[1]
            names = list(self.probes)
            outcomes = await asyncio.gather(*(self._safe(name) for name in names))
            self.rounds += 1
            result = dict(zip(names, outcomes, strict=True))
            self._last = (self._clock(), result)
            return result

    async def _safe(self, name: str) -> bool:
        try:
            async with asyncio.timeout(_TIMEOUT_S):
                return await self.probes[name]()
        except Exception as exc:  # a readiness probe reports; it never fails the request
            log.warning("readiness: %s unreachable: %s", name, type(exc).__name__)
            return False

    async def aclose(self) -> None:
        if self._close is not None:
            await self._close()


def build_readiness(settings: Settings, *, engine: AsyncEngine, cache_s: float) -> Readiness:
    nats_probe = _KeptNatsConnection(settings.nats_url)

    async def kafka() -> bool:
        ok, detail = await kafka_probe(settings.kafka_bootstrap_servers)
        if not ok:
            log.warning("readiness: kafka unreachable: %s", detail)
        return ok

    async def postgres() -> bool:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True

    return Readiness(
        {"kafka": kafka, "postgres": postgres, "nats": nats_probe.ping},
        cache_s=cache_s,
        close=nats_probe.close,
    )


class _KeptNatsConnection:
    """One NATS connection reused by every round; a broken one is replaced in the next round."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._nc: Any = None

    async def ping(self) -> bool:
        import nats

        async def _quiet(_exc: Exception) -> None:
            return None  # nats-py logs each failed attempt; the probe logs the outcome once

        if self._nc is None or not self._nc.is_connected:
            await self.close()
            self._nc = await nats.connect(
                self._url, connect_timeout=_TIMEOUT_S, allow_reconnect=False, error_cb=_quiet
            )
        try:
            await self._nc.jetstream().account_info()
        except Exception:
            await self.close()
            raise
        return True

    async def close(self) -> None:
        nc, self._nc = self._nc, None
        if nc is not None and not nc.is_closed:
            await nc.close()


@router.get("/healthz", summary="Liveness: the process answers (no dependency checks)")
async def healthz() -> JSONResponse:
    return JSONResponse({"success": True, "data": {"status": "ok"}})


@router.get(
    "/readyz", summary="Readiness: Kafka, PostgreSQL and NATS reachable (checked at most once per 5 s)"
)
async def readyz(request: Request) -> JSONResponse:
    readiness: Readiness = request.app.state.readiness
    results = await readiness.check()
    ok = all(results.values())
    data: dict[str, Any] = {
        "status": "ready" if ok else "unready",
        "dependencies": {name: "reachable" if up else "unreachable" for name, up in results.items()},
    }
    return JSONResponse({"success": ok, "data": data}, status_code=200 if ok else 503)
