"""The async SQLAlchemy engine, built from settings (no connection until first use).

``hide_parameters``: a failed statement's error (and every log line quoting it) shows the SQL without
its bound values, which may be contact data or secrets. The URL, with its password, is never logged:
SQLAlchemy's own repr of an engine masks the password, and nothing here prints the URL.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from workflows.settings import Settings


def create_engine(settings: Settings) -> AsyncEngine:
    return create_async_engine(
        settings.database_url.get_secret_value(),
        pool_size=10,
        max_overflow=10,
        pool_pre_ping=True,
        hide_parameters=True,
    )
