"""Knobs of the API process that only the API reads (``WORKFLOWS_*`` like the shared settings)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# The builder's bundle (`npm run build` in web/, which `make install` runs): web/dist beside the package.
DEFAULT_WEB_DIST = Path(__file__).resolve().parent.parent / "web" / "dist"


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WORKFLOWS_", extra="ignore")

    # The built visual builder, served at / (WORKFLOWS_WEB_DIST); missing, / answers a 404 page saying so.
    web_dist: Path = DEFAULT_WEB_DIST

    # Background tasks in the API process; turn off to run the relay or projector as their own processes.
    api_run_relay: bool = True
    api_run_projector: bool = True
    api_run_stats_reconcile: bool = True

    outbox_batch_size: int = Field(default=500, ge=1, le=10_000)
    # Idle poll interval: a request that wrote an outbox row also wakes the relay at once.
    outbox_poll_seconds: float = Field(default=0.5, gt=0)

    projector_group_id: str = "workflows-api-projector"
    projector_batch_size: int = Field(default=1000, ge=1, le=50_000)

    # The spec's workflow-stats-calculator runs every 5 minutes.
    stats_reconcile_seconds: float = Field(default=300.0, gt=0)

    # Simulations run the engine in the request; bound the work one request may ask for.
    simulate_max_events: int = Field(default=200, ge=1)

    # Request bodies larger than this are refused with 413 while they stream in (Content-Length or chunked).
    api_max_body_bytes: int = Field(default=1024 * 1024, ge=1024)

    # Webhook triggers: a token bucket per token (sustained calls per second, and the burst it allows).
    webhook_rate_per_s: float = Field(default=10.0, gt=0)
    webhook_burst: int = Field(default=20, ge=1)

    # /readyz probes Kafka, PostgreSQL and NATS at most once per this many seconds, whatever the request rate.
    readyz_cache_s: float = Field(default=5.0, ge=0.1)

    # A record the broker refuses as too large is marked failed instead of retried forever (it would block
    # every later row of every tenant). Checked before sending, below the broker's default 1 MiB limit.
    outbox_max_record_bytes: int = Field(default=1_000_000, ge=1024)
    # Sent (and failed) outbox rows are deleted after this long, by the relay, in small batches.
    outbox_retention_s: float = Field(default=7 * 86_400.0, ge=0)
    outbox_purge_batch: int = Field(default=1000, ge=1, le=100_000)
    outbox_purge_interval_s: float = Field(default=60.0, gt=0)

    # /simulate budgets: an 8 KB request once produced a 27.7 MB answer and held the event loop 0.93 s.
    simulate_max_span_days: int = Field(default=400, ge=1)
    simulate_max_answer_bytes: int = Field(default=1024 * 1024, ge=1024)
    simulate_max_steps: int = Field(default=10_000, ge=1)
    # Simulations run in threads off the event loop; at most this many at once (more wait their turn).
    simulate_concurrency: int = Field(default=2, ge=1, le=64)
