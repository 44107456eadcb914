"""`create_app(settings)`: the FastAPI application. Nothing connects until the app starts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import health
from api.db.engine import create_engine
from api.errors import ApiError
from workflows.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.engine = create_engine(settings)
        try:
            yield
        finally:
            await app.state.engine.dispose()

    app = FastAPI(
        title="Workflows API",
        version="1.0.0",
        description="Define customer-journey workflows, activate them, and watch their runs.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.include_router(health.router)
    _install_error_handlers(app)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {
                "path": "$." + ".".join(str(p) for p in e.get("loc", ())[1:]),
                "code": e.get("type"),
                "message": e.get("msg"),
            }
            for e in exc.errors()
        ]
        body = {
            "success": False,
            "error": {"code": "invalid_request", "message": "request is invalid", "details": problems},
        }
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}.get(
            exc.status_code, "http_error"
        )
        body = {"success": False, "error": {"code": code, "message": str(exc.detail), "details": None}}
        return JSONResponse(body, status_code=exc.status_code)
