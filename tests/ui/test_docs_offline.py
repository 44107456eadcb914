"""/docs and /redoc work offline: Chromium (the system's, never a downloaded one) loads them from a running
API with every request to another host refused, and finds the operation list. A screenshot of /docs is
saved under var/ui-screenshots/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Route, sync_playwright

from api.app import create_app
from api.config import ApiSettings
from tests.live_api import serving
from workflows.settings import Settings

pytestmark = pytest.mark.integration
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "ui-screenshots"
QUIET = ApiSettings(api_run_relay=False, api_run_projector=False, api_run_stats_reconcile=False)


@pytest.fixture(scope="module")
def api_url(settings: Settings) -> Iterator[str]:
    with serving(create_app(settings, api_settings=QUIET)) as base:
        yield base


def _chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.fail(
            "chromium is not installed: `make install` installs it (apt-get install chromium)", pytrace=False
        )
    return path


def test_docs_load_offline_and_list_the_operations(api_url: str) -> None:
    elsewhere: list[tuple[str, str]] = []

    def local_only(route: Route) -> None:
        if route.request.url.startswith(api_url):
            route.continue_()
        else:  # a CDN, fonts, anything: the docs must not need it
            elsewhere.append((route.request.resource_type, route.request.url))
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1600})
            page.route("**/*", local_only)
            page.goto(f"{api_url}/docs")
            page.wait_for_selector(".opblock-summary", timeout=30_000)
            operations = page.locator(".opblock-summary-path").all_inner_texts()
            assert "/api/v1/workflows" in {o.strip() for o in operations}, operations
            assert len(operations) >= 15, operations
            assert page.locator(".info .title").first.inner_text().startswith("Workflows API")
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shot = SCREENSHOTS / "docs.png"
            page.screenshot(path=str(shot), full_page=False)
            print(f"screenshot: {shot}")
            assert elsewhere == []  # Swagger UI asked no other host for anything

            redoc = browser.new_page()
            redoc.route("**/*", local_only)
            redoc.goto(f"{api_url}/redoc")
            redoc.locator("h2", has_text="Create a workflow").first.wait_for(timeout=30_000)
        finally:
            browser.close()
    # ReDoc's bundle links its vendor's logo image in the menu footer; nothing it needs to work is remote.
    assert [url for kind, url in elsewhere if kind != "image"] == []
