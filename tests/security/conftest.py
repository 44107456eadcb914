"""Fixtures shared with the suites whose components the security tests attack."""

from __future__ import annotations

from tests.e2e.conftest import e2e_settings  # noqa: F401 - re-exported fixture
from tests.integration.api.conftest import (  # noqa: F401 - re-exported fixtures
    api_settings,
    app,
    as_a,
    as_b,
    client,
    engine,
    migrated,
)
from tests.integration.bridge.conftest import isolated  # noqa: F401 - re-exported fixture
