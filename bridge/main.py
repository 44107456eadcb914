"""Process entry point for `workflows bridge`."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from bridge.config import BridgeSettings
from bridge.errors import BridgeConfigError
from bridge.runner import BridgeRunner
from workflows.logs import configure_logging
from workflows.settings import Settings

log = logging.getLogger("bridge")


def run_bridge(settings: Settings, bridge: BridgeSettings | None = None) -> None:
    configure_logging(settings.log_level)
    try:
        asyncio.run(_main(settings, bridge or BridgeSettings()))
    except BridgeConfigError as exc:
        log.error("bridge cannot run: %s", exc)  # the message is the whole story
        sys.exit(2)


async def _main(settings: Settings, bridge: BridgeSettings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runner = BridgeRunner(settings, bridge)
    starting = asyncio.create_task(runner.start())
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if starting.done():
            starting.result()
            failed = asyncio.create_task(runner.wait())
            await asyncio.wait({failed, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if failed.done():
                failed.result()
    finally:
        starting.cancel()
        stopping.cancel()
        await runner.stop()
        log.info("bridge stopped")
