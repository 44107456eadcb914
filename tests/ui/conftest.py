"""Browser fixtures: the built app (built here when `web/dist` is missing or older than its sources), the
end-to-end stack (real API, worker, bridge, Kafka, PostgreSQL, NATS), Debian's Chromium and a signed-in page.

The page talks only to the stack's API origin: any other host is refused, so the app works offline. When the
API does not serve the app at `/` (yet), the page is given `web/dist` from disk at the same origin, with every
`/api` request going to the real API.
"""

from __future__ import annotations

import mimetypes
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright

from api.auth import mint_token
from tests.e2e.conftest import Api, e2e_settings, stack  # noqa: F401  (fixtures, re-exported)
from tests.e2e.stack import Stack
from tests.ui.kit import ROOT, WEB

pytestmark = pytest.mark.integration

DIST = WEB / "dist"
SOURCES = ("src", "index.html", "package.json", "package-lock.json", "vite.config.ts", "tsconfig.json")


def _newest_source() -> float:
    newest = 0.0
    for name in SOURCES:
        p = WEB / name
        files = [p] if p.is_file() else [f for f in p.rglob("*") if f.is_file()]
        newest = max([newest, *(f.stat().st_mtime for f in files)])
    return newest


def build_web() -> Path:
    """`web/dist`, built with npm when missing or older than a source file; fails saying why when it can't."""
    index = DIST / "index.html"
    if index.exists() and index.stat().st_mtime >= _newest_source():
        return DIST
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail(
            "npm is not installed: the browser tests need the built app (make install builds it)",
            pytrace=False,
        )
    if not (WEB / "node_modules").exists():
        ci = subprocess.run([npm, "ci"], cwd=WEB, capture_output=True, text=True, timeout=600)
        if ci.returncode != 0:
            pytest.fail(f"`npm ci` in web/ failed:\n{ci.stdout[-2000:]}{ci.stderr[-2000:]}", pytrace=False)
    done = subprocess.run([npm, "run", "build"], cwd=WEB, capture_output=True, text=True, timeout=600)
    if done.returncode != 0 or not index.exists():
        pytest.fail(
            f"`npm run build` in web/ failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}", pytrace=False
        )
    return DIST


@pytest.fixture(scope="session")
def web_dist() -> Path:
    """`web/dist`, or an already built app named by WORKFLOWS_UI_DIST (one built from another checkout)."""
    given = os.environ.get("WORKFLOWS_UI_DIST")
    if given:
        if not (Path(given) / "index.html").is_file():
            pytest.fail(f"WORKFLOWS_UI_DIST={given} holds no index.html", pytrace=False)
        return Path(given)
    return build_web()


def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.fail(
            "chromium is not installed: `make install` installs it (apt-get install chromium)", pytrace=False
        )
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


def api_serves_app(base: str) -> bool:
    try:
        r = httpx.get(f"{base}/", timeout=5)
    except httpx.TransportError:
        return False
    return r.status_code == 200 and "text/html" in r.headers.get("content-type", "") and 'id="root"' in r.text


def serve_app(page: Page, base: str, dist: Path, *, from_disk: bool, refused: list[str]) -> None:
    """Only the API's origin answers; without the API serving the app, `dist` does (SPA fallback)."""

    def handle(route: Route) -> None:
        url = route.request.url
        if not url.startswith(base):
            refused.append(url)
            route.abort()
            return
        path = url[len(base) :].split("?", 1)[0].split("#", 1)[0]
        if not from_disk or path.startswith("/api/") or path in ("/openapi.json", "/docs", "/redoc"):
            route.continue_()
            return
        file = (dist / path.lstrip("/")).resolve()
        if not file.is_file() or dist.resolve() not in file.parents:
            file = dist / "index.html"
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        route.fulfill(status=200, body=file.read_bytes(), headers={"content-type": kind})

    page.route("**/*", handle)


class App:
    """The app on a running stack, for one tenant: its address, an API client and a token for the page."""

    def __init__(self, stack: Stack, dist: Path) -> None:  # noqa: F811
        self.stack = stack
        self.base = stack.api.rstrip("/")
        self.dist = dist
        self.tenant = f"ui-{uuid.uuid4().hex[:8]}"
        self.api = Api(stack, tenant=self.tenant)
        self.token = mint_token(stack.settings, tenant_id=self.tenant, user_id=str(uuid.uuid4()))
        # A dist named by WORKFLOWS_UI_DIST is the one under test, whatever the API serves.
        self.from_disk = bool(os.environ.get("WORKFLOWS_UI_DIST")) or not api_serves_app(self.base)


@pytest.fixture(scope="module")
def app(stack: Stack, web_dist: Path) -> Iterator[App]:  # noqa: F811
    a = App(stack, web_dist)
    print(
        f"app at {a.base} ({'dist served from disk at that origin' if a.from_disk else 'served by the API'})"
    )
    yield a
    a.api.client.close()


@contextmanager
def guarded_page(browser: Browser, app: App, *, token: str | None) -> Iterator[Page]:
    """A page of the app served from its bundle, signed in with ``token`` (None: signed out); on close,
    no request to another host and no uncaught error in the page."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, device_scale_factor=1)
    if token is not None:
        # Signed in: the token is kept in the session, where the sign-in screen keeps it.
        context.add_init_script(f"sessionStorage.setItem('workflows.token', {token!r});")
    p = context.new_page()
    refused: list[str] = []
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    serve_app(p, app.base, app.dist, from_disk=app.from_disk, refused=refused)
    try:
        yield p
    finally:
        context.close()
    assert refused == [], f"the app asked other hosts: {refused}"
    assert errors == [], f"uncaught errors in the page: {errors}"


@pytest.fixture
def page(browser: Browser, app: App) -> Iterator[Page]:
    with guarded_page(browser, app, token=app.token) as p:
        yield p


__all__ = ["ROOT", "App"]
