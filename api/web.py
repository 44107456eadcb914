"""The visual builder (``web/dist``) at ``/``, same origin as the API.

Served as a fallback: a GET that no route answers, outside ``/api`` and the docs, is a file of the bundle
when one exists at that path, and ``index.html`` otherwise (the app routes on the client: ``/workflows/1``
reloaded must open the app). So the API, /docs, /healthz and the rest keep their own 404s and 405s, and a
missing asset (a name with an extension) stays a 404 instead of HTML a browser would try to run.

Hashed bundle files under ``/assets/`` never change: they are cached for a year. ``index.html`` is
revalidated on every load, so a new build is picked up by a reload.

Without a bundle (a fresh clone before ``make install``) ``/`` answers a 404 page that says how to build it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response

__all__ = ["is_app_path", "serve"]

# Paths that belong to the API process itself: never the app, never index.html.
_OWN_PREFIXES: Final = ("/api/", "/docs/", "/redoc/")
_OWN_PATHS: Final = frozenset({"/api", "/docs", "/redoc", "/openapi.json"})
_IMMUTABLE: Final = "public, max-age=31536000, immutable"

MISSING_PAGE: Final = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Builder not built</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto">
<h1>The builder is not built</h1>
<p>This API serves the visual builder from <code>WORKFLOWS_WEB_DIST</code> (default <code>web/dist</code>),
which has no <code>index.html</code> here.</p>
<p>Run <code>make install</code> (it runs <code>npm ci</code> and <code>npm run build</code> in
<code>web/</code>), or point <code>WORKFLOWS_WEB_DIST</code> at a built copy, then reload.</p>
<p>The API itself is at <a href="/api/v1/workflows">/api/v1/workflows</a> and its docs at
<a href="/docs">/docs</a>.</p>
</body></html>
"""


def is_app_path(request: Request) -> bool:
    """A request the builder answers when no route did: a GET or HEAD outside the API's own paths."""
    if request.method not in ("GET", "HEAD"):
        return False
    path = request.url.path
    return path not in _OWN_PATHS and not path.startswith(_OWN_PREFIXES)


def _inside(dist: Path, path: str) -> Path | None:
    """The file the URL path names inside ``dist``, or None (no such file, or outside it)."""
    relative = path.lstrip("/")
    if not relative:
        return None
    candidate = (dist / relative).resolve()
    if not candidate.is_relative_to(dist) or not candidate.is_file():
        return None
    return candidate


def serve(request: Request, dist: Path) -> Response:
    """The answer for an app path (see :func:`is_app_path`)."""
    root = dist.resolve()
    index = root / "index.html"
    if not index.is_file():
        return HTMLResponse(MISSING_PAGE, status_code=404)  # no server path in an anonymous answer
    path = request.url.path
    found = _inside(root, path)
    if found is not None:
        cache = _IMMUTABLE if path.startswith("/assets/") else "no-cache"
        return FileResponse(found, headers={"Cache-Control": cache})
    if "." in path.rsplit("/", 1)[-1]:
        return HTMLResponse("<!doctype html><title>Not found</title><p>Not found.</p>", status_code=404)
    return FileResponse(index, headers={"Cache-Control": "no-cache"})
