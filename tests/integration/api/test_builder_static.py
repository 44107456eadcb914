"""The API serves the built builder at / (files, SPA fallback to index.html), keeps its own paths, and
answers a page saying to run `make install` when there is no bundle."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.config import DEFAULT_WEB_DIST, ApiSettings
from tests.integration.api.conftest import QUIET
from workflows.settings import Settings

INDEX = "<!doctype html><title>builder</title><div id=root></div>"


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(INDEX)
    (root / "assets" / "index-abc123.js").write_text("console.log('app')")
    (root / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (tmp_path / "secret.txt").write_text("outside the bundle")
    return root


async def _client(settings: Settings, web_dist: Path) -> AsyncIterator[httpx.AsyncClient]:
    # No lifespan: serving files needs neither the database nor Kafka.
    options = QUIET.model_copy(update={"web_dist": web_dist})
    app = create_app(settings, api_settings=options)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
        yield client


@pytest.fixture
async def served(settings: Settings, dist: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(settings, dist):
        yield client


async def test_the_app_and_its_files_are_served_at_the_root(served: httpx.AsyncClient) -> None:
    root = await served.get("/")
    assert root.status_code == 200
    assert root.text == INDEX
    assert root.headers["content-type"].startswith("text/html")
    assert root.headers["cache-control"] == "no-cache"

    asset = await served.get("/assets/index-abc123.js")
    assert asset.status_code == 200
    assert asset.text == "console.log('app')"
    assert "javascript" in asset.headers["content-type"]
    assert "immutable" in asset.headers["cache-control"]
    assert (await served.get("/favicon.svg")).headers["content-type"].startswith("image/svg")


async def test_client_routes_fall_back_to_index_html(served: httpx.AsyncClient) -> None:
    for path in ("/workflows", "/workflows/550e8400-e29b-41d4-a716-446655440000/edit", "/sign-in?next=/x"):
        resp = await served.get(path)
        assert resp.status_code == 200, path
        assert resp.text == INDEX, path


async def test_missing_assets_and_escapes_are_404_not_the_app(served: httpx.AsyncClient) -> None:
    assert (await served.get("/assets/gone-123.js")).status_code == 404
    assert (await served.get("/../secret.txt")).text != "outside the bundle"
    escaped = await served.get("/%2e%2e/secret.txt")
    assert "outside the bundle" not in escaped.text


async def test_the_api_keeps_its_own_paths(served: httpx.AsyncClient) -> None:
    unknown = await served.get("/api/v1/nothing-here")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "not_found"
    assert (await served.get("/api/v1/workflows")).status_code == 401  # a route, not the app
    assert (await served.get("/docs/static/missing.js")).status_code == 404
    assert (await served.get("/docs")).text != INDEX
    assert (await served.get("/openapi.json")).json()["openapi"].startswith("3.")
    assert (await served.get("/healthz")).status_code == 200
    post = await served.post("/workflows", json={})  # only GET and HEAD reach the app
    assert post.status_code in (404, 405)
    assert post.text != INDEX


async def test_without_a_bundle_the_root_says_to_run_make_install(settings: Settings, tmp_path: Path) -> None:
    async for client in _client(settings, tmp_path / "no-dist"):
        for path in ("/", "/workflows"):
            resp = await client.get(path)
            assert resp.status_code == 404
            assert resp.headers["content-type"].startswith("text/html")
            assert "make install" in resp.text
        assert (await client.get("/api/v1/nothing")).json()["error"]["code"] == "not_found"


def test_the_default_bundle_is_web_dist_beside_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Path(__file__).resolve().parents[3] / "web" / "dist" == DEFAULT_WEB_DIST
    assert ApiSettings().web_dist == DEFAULT_WEB_DIST
    monkeypatch.setenv("WORKFLOWS_WEB_DIST", "/srv/builder")
    assert ApiSettings().web_dist == Path("/srv/builder")
