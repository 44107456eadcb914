"""Property-based checks of the whole OpenAPI surface with schemathesis: no input makes a 5xx, and every
response matches its documented status code, content type and schema. The app runs in a real uvicorn
server (its own thread and event loop) on the test database; every request carries a valid bearer token."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import checks
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from tests.integration.api.conftest import QUIET, auth
from tests.live_api import serving
from workflows.settings import Settings

pytestmark = pytest.mark.integration
EXAMPLES = 25  # per operation: bounded so the suite stays within its time budget

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


@pytest.fixture(scope="module")
def server(migrated: Settings) -> Iterator[str]:
    with serving(create_app(migrated, api_settings=QUIET)) as base:
        yield base


def test_api_conforms_to_its_openapi(server: str, migrated: Settings, engine: AsyncEngine) -> None:
    schema = schemathesis.openapi.from_url(f"{server}/openapi.json")
    headers = dict(auth(migrated))
    failures: list[str] = []
    calls: list[str] = []
    tested = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path == "/healthz":
            continue  # its 503 depends on the shared services, not on the input

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            case.call_and_validate(base_url=server, headers=headers, checks=CHECKS)
            calls.append(case.operation.path)

        try:
            check()
        except Exception as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
        tested += 1
    assert tested >= 15
    assert len(calls) >= tested * 5, len(calls)
    assert not failures, "\n\n".join(failures)
    print(f"schemathesis: {len(calls)} calls over {tested} operations")
