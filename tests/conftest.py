"""Shared fixtures. Integration tests need the real services: a missing one FAILS the test, never skips it."""

from __future__ import annotations

import asyncio
import os

import pytest

# The tests run with the published development secret and loopback webhook targets, which production mode
# refuses. Set here, at import, so every process a test starts (CLI, e2e stacks) inherits it.
os.environ.setdefault("WORKFLOWS_ENV", "development")

from workflows.probes import probe_all
from workflows.settings import Settings


def _test_database_url() -> str:
    default = Settings().database_url.get_secret_value()
    base, _, name = default.rpartition("/")
    return os.environ.get("WORKFLOWS_TEST_DATABASE_URL", f"{base}/{name}_test")


@pytest.fixture(scope="session")
def settings() -> Settings:
    from pydantic import SecretStr

    return Settings(database_url=SecretStr(_test_database_url()))


@pytest.fixture(scope="session")
def services(settings: Settings) -> Settings:
    """The three services must answer; otherwise every integration test fails with the reason."""
    results = asyncio.run(probe_all(settings))
    down = {name: detail for name, (ok, detail) in results.items() if not ok}
    if down:
        pytest.fail(
            f"services unreachable: {down}. Start them with `workflows services up` (the test command does).",
            pytrace=False,
        )
    return settings


def pytest_report_header() -> list[str]:
    """Name the real services this run talks to, so the output shows where the integration tests ran."""
    results = asyncio.run(probe_all(Settings()))
    return [
        f"service {name}: {'reachable' if ok else 'UNREACHABLE'} - {detail}"
        for name, (ok, detail) in results.items()
    ]
