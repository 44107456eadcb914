"""Fixtures shared with the suites whose components the security tests attack."""

from __future__ import annotations

from tests.integration.bridge.conftest import isolated  # noqa: F401 - re-exported fixture
