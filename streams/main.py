"""Process entry point for `workflows worker`."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

from streams.app import create_app
from streams.topics import ensure_topics
from workflows.logs import configure_logging
from workflows.settings import Settings


def _logging_config(level: str) -> dict[str, Any]:
    """Faust's worker replaces the root handlers at start: hand it our JSON formatter instead."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "workflows.logs.JsonFormatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json"}},
        "root": {"level": level.upper(), "handlers": ["stderr"]},
    }


def run_worker(settings: Settings) -> None:
    configure_logging(settings.log_level)
    settings.worker_data_dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(ensure_topics(settings))
    app, _runtime = create_app(settings)
    worker = app.Worker(
        loglevel=settings.log_level,
        quiet=True,
        redirect_stdouts=False,
        logging_config=_logging_config(settings.log_level),
    )
    # Faust keeps its terminal spinner at WARNING and above (quiet or not), and a spinner turns the root
    # logger to DEBUG: every debug call in Faust and aiokafka then builds a record. Measured: it stalled
    # the worker under load. No spinner, ever.
    worker.spinner = None
    # The contact path allocates many short-lived objects per event; CPython's default gen-0 threshold
    # (700 allocations) ran the collector thousands of times a second, each pass also visiting what startup
    # built. Measured in bench/worker_bench.py: about +12% events/s. A threshold of 200k gained a little
    # more throughput, but its longer collections pushed the p99 latency at half load from under 100 ms to
    # 450-680 ms.
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
    worker.execute_from_commandline()
