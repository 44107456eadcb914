"""`create_app(settings)`: the FastAPI application. Nothing connects until the app starts.

On start the app opens the database pool and, unless turned off in ``ApiSettings``, runs three background
tasks: the outbox relay, the projector and the periodic stats reconcile job.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from api import health, metrics, web
from api.analytics.endpoints import router as analytics_router
from api.background import BackgroundTasks
from api.body_limit import BodyLimitMiddleware
from api.config import ApiSettings
from api.contacts.endpoints import router as contacts_router
from api.db.engine import create_engine
from api.db.session import session_factory
from api.dev import router as dev_router
from api.errors import ApiError
from api.events.endpoints import router as event_types_router
from api.hooks import access_log
from api.hooks.endpoints import router as hooks_router
from api.hooks.rotation import router as rotation_router
from api.kit.docs import install_docs
from api.kit.openapi import install_openapi
from api.kit.text import TextGuardMiddleware
from api.outbox.endpoints import router as outbox_router
from api.policies.endpoints import router as policies_router
from api.runs.endpoints import router as runs_router
from api.workflow.endpoints import router as workflows_router
from workflows.settings import Settings

log = logging.getLogger(__name__)


def create_app(settings: Settings, *, api_settings: ApiSettings | None = None) -> FastAPI:
    options = api_settings or ApiSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.engine = create_engine(settings)
        app.state.sessions = session_factory(app.state.engine)
        app.state.readiness = health.build_readiness(
            settings, engine=app.state.engine, cache_s=options.readyz_cache_s
        )
        app.state.outbox_wakeup = asyncio.Event()
        tasks = BackgroundTasks(settings, options, engine=app.state.engine, wakeup=app.state.outbox_wakeup)
        app.state.background = tasks
        tasks.start()
        try:
            yield
        finally:
            await tasks.stop()
            await app.state.readiness.aclose()
            await app.state.engine.dispose()

    app = FastAPI(
        title="Workflows API",
        version="1.0.0",
        description=(
            "Define customer-journey workflows, activate them, and watch their runs. Every route under "
            "/api/v1/workflows needs `Authorization: Bearer <JWT>` with claims `tenantId` and `sub`. "
            'Responses are `{"success": true, "data": ...}`; errors are '
            '`{"success": false, "error": {"code", "message", "details"}}`.'
        ),
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc come from install_docs: assets served here, not from a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.api_settings = options
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(workflows_router)
    app.include_router(runs_router)
    app.include_router(analytics_router)
    app.include_router(contacts_router)
    app.include_router(outbox_router)
    app.include_router(hooks_router)
    app.include_router(rotation_router)
    app.include_router(event_types_router)
    app.include_router(policies_router)
    app.include_router(dev_router)
    install_docs(app)
    install_openapi(app)
    # Added first, so it runs inside the body limit: it reads a body that limit has already bounded.
    app.add_middleware(TextGuardMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=options.api_max_body_bytes)
    app.middleware("http")(metrics.observe)
    access_log.install()
    _install_error_handlers(app)
    return app


def _json_path(loc: tuple[object, ...]) -> str:
    path = "$"
    for part in loc[1:]:  # loc[0] is body / query / path / header
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _error(status: int, code: str, message: str, details: object = None) -> JSONResponse:
    body = {"success": False, "error": {"code": code, "message": message, "details": details}}
    return JSONResponse(body, status_code=status)


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette's 405 names only the first route's)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        route_methods = getattr(route, "methods", None)
        if match != Match.NONE and route_methods:
            methods.update(route_methods)
    return sorted(methods)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status_code, headers=exc.headers())

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"path": _json_path(tuple(e.get("loc", ()))), "code": e.get("type"), "message": e.get("msg")}
            for e in exc.errors()
        ]
        return _error(422, "invalid_request", f"the request has {len(problems)} problem(s)", problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404 and web.is_app_path(request):  # no route: the builder's files or its page
            options: ApiSettings = request.app.state.api_settings
            return web.serve(request, options.web_dist)
        code = {
            404: "not_found",
            405: "method_not_allowed",
            401: "unauthorized",
            413: "payload_too_large",
        }.get(exc.status_code, "http_error")
        response = _error(exc.status_code, code, str(exc.detail))
        response.headers.update(exc.headers or {})
        if exc.status_code == 405:  # RFC 9110: Allow lists every method of the resource, not one route's
            response.headers["Allow"] = ", ".join(_allowed_methods(request))
        return response

    @app.exception_handler(IntegrityError)
    async def _integrity(_request: Request, exc: IntegrityError) -> JSONResponse:
        # Two writers raced on one row (e.g. a version number); the client can retry. The driver's message
        # quotes the conflicting values (contact data): the log names the constraint's error class only.
        log.warning("integrity conflict: %s in %s", type(exc.orig).__name__, exc.statement)
        return _error(409, "conflict", "a concurrent change won; retry the request")

    @app.exception_handler(DBAPIError)
    async def _database(_request: Request, exc: DBAPIError) -> JSONResponse:
        # Not the driver's message: it may quote a bound value (asyncpg does for conversion errors).
        log.error("database error: %s in %s", type(exc.orig).__name__, exc.statement)
        return _error(503, "database_unavailable", "the database failed this request; retry later")

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return _error(500, "internal_error", "unexpected error; the server log has the details")
