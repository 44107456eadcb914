"""Process entry point for `workflows worker`."""

from __future__ import annotations

from streams.app import create_app
from workflows.logs import configure_logging
from workflows.settings import Settings


def run_worker(settings: Settings) -> None:
    configure_logging(settings.log_level)
    settings.worker_data_dir.mkdir(parents=True, exist_ok=True)
    app, _topics = create_app(settings)
    # Faust's worker turns the root logger to DEBUG when its spinner is on: keep it off.
    worker = app.Worker(loglevel=settings.log_level, quiet=True, redirect_stdouts=False)
    worker.execute_from_commandline()
