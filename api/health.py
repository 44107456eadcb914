"""`/healthz`: the API answers and reports whether Kafka, PostgreSQL and NATS are reachable."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from workflows.probes import probe_all

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness and reachability of Kafka, PostgreSQL and NATS")
async def healthz(request: Request) -> JSONResponse:
    results = await probe_all(request.app.state.settings)
    ok = all(healthy for healthy, _ in results.values())
    data: dict[str, Any] = {
        "status": "ok" if ok else "degraded",
        "dependencies": {name: {"reachable": h, "detail": d} for name, (h, d) in results.items()},
    }
    return JSONResponse({"success": ok, "data": data}, status_code=200 if ok else 503)
