"""The API process's background tasks: outbox relay, projector, stats reconcile (each can be turned off
in ``ApiSettings`` and run as its own process instead). A failing task logs and retries; it never takes
the API down, and stopping the app stops them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncEngine

from api.config import ApiSettings
from api.outbox.relay import OutboxRelay
from api.projector.consumer import Projector
from api.projector.reconcile import reconcile
from workflows.settings import Settings

log = logging.getLogger(__name__)


class BackgroundTasks:
    def __init__(
        self, settings: Settings, options: ApiSettings, *, engine: AsyncEngine, wakeup: asyncio.Event
    ) -> None:
        self._settings = settings
        self._options = options
        self._engine = engine
        self._wakeup = wakeup
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        if self._options.api_run_relay:
            self._spawn("outbox-relay", self._relay)
        if self._options.api_run_projector:
            self._spawn("projector", self._projector)
        if self._options.api_run_stats_reconcile:
            self._spawn("stats-reconcile", self._reconcile)

    def _spawn(self, name: str, body: Callable[[], Awaitable[None]]) -> None:
        async def supervised() -> None:
            while not self._stop.is_set():
                try:
                    await body()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # Kafka or Postgres unreachable at start: try again rather than give up.
                    log.exception("%s stopped with an error; restarting in 5 s", name)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stop.wait(), timeout=5.0)

        self._tasks.append(asyncio.create_task(supervised(), name=name))

    async def _relay(self) -> None:
        relay = OutboxRelay(self._settings, self._options, engine=self._engine, wakeup=self._wakeup)
        await relay.start()
        try:
            await relay.run(self._stop)
        finally:
            await relay.stop()

    async def _projector(self) -> None:
        projector = Projector(self._settings, self._options, engine=self._engine)
        await projector.start()
        try:
            await projector.run(self._stop)
        finally:
            await projector.stop()

    async def _reconcile(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self._options.stats_reconcile_seconds)
            if not self._stop.is_set():
                corrected = await reconcile(self._engine)
                log.info("stats reconcile done: corrected %s", corrected)

    async def stop(self) -> None:
        self._stop.set()
        if not self._tasks:
            return
        _done, pending = await asyncio.wait(self._tasks, timeout=10)
        for task in pending:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
