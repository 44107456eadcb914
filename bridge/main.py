"""Process entry point for `workflows bridge`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from bridge.runner import BridgeRunner
from workflows.logs import configure_logging
from workflows.settings import Settings

log = logging.getLogger("bridge")


def run_bridge(settings: Settings) -> None:
    configure_logging(settings.log_level)
    asyncio.run(_main(settings))


async def _main(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runner = BridgeRunner(settings)
    await runner.start()
    log.info("bridge started", extra={"nats": settings.nats_url, "kafka": settings.kafka_bootstrap_servers})
    try:
        with contextlib.suppress(asyncio.CancelledError):
            await stop.wait()
    finally:
        await runner.stop()
        log.info("bridge stopped")
