"""Process entry point for `workflows api`."""

from __future__ import annotations

import uvicorn

from api.app import create_app
from workflows.logs import configure_logging
from workflows.settings import Settings


def serve(settings: Settings) -> None:
    configure_logging(settings.log_level)
    uvicorn.run(create_app(settings), host=settings.api_host, port=settings.api_port, log_config=None)
