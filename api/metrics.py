"""Prometheus metrics of the API process (requests, outbox relay, projector, stats drift)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

REQUESTS = Histogram(
    "workflows_api_request_seconds",
    "HTTP request latency by route template and status",
    ["method", "route", "status"],
)
OUTBOX_PUBLISHED = Counter("workflows_outbox_published_total", "Outbox records published to Kafka")
OUTBOX_FAILED = Counter(
    "workflows_outbox_failed_total",
    "Outbox records never published because the broker refuses them (GET /api/v1/outbox/failed)",
    ["reason"],
)
OUTBOX_BACKLOG = Gauge("workflows_outbox_backlog", "Outbox records not yet published")
PROJECTED = Counter("workflows_projector_events_total", "Run events applied by the projector", ["outcome"])
PROJECTOR_DEAD_LETTERS = Counter(
    "workflows_projector_dead_letters_total",
    "workflows.out records the projector could not store, kept in projector_dead_letters",
    ["reason"],
)
PROJECTOR_BATCH = Histogram("workflows_projector_batch_seconds", "Time to apply one projector batch")
SIMULATIONS = Counter(
    "workflows_simulations_total", "Simulations by outcome (ok, or the budget that stopped them)", ["outcome"]
)
STATS_DRIFT = Counter("workflows_stats_drift_total", "Counter values the reconcile job had to correct")

router = APIRouter(tags=["operations"])


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


async def observe(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    started = time.perf_counter()
    response = await call_next(request)
    route = request.scope.get("route")
    # The route template, never the raw path: ids in paths would explode the label set.
    template = getattr(route, "path", "unmatched")
    REQUESTS.labels(request.method, template, str(response.status_code)).observe(
        time.perf_counter() - started
    )
    return response
