"""One settings object for every process, read from ``WORKFLOWS_*`` environment variables.

Nothing here connects to anything: processes build their apps from a ``Settings`` instance
(``create_app(settings)``), so importing a module never opens a socket.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# Published in this repository for development and tests: production mode refuses to start with it.
DEVELOPMENT_JWT_SECRET = "dev-only-secret-change-me-in-production-0123456789"  # noqa: S105


def _default_services_home() -> Path:
    # PostgreSQL refuses to run as root, so as root the data must live where the
    # `postgres` user can reach it (a root home folder is mode 0700).
    if os.geteuid() == 0:
        return Path("/var/lib/workflows-dev")
    return Path.home() / ".local" / "state" / "workflows-dev"


class Settings(BaseSettings):
    """Every knob of every process. Defaults match `workflows services up` on 127.0.0.1."""

    model_config = SettingsConfigDict(env_prefix="WORKFLOWS_", extra="ignore")

    # `production` unless told otherwise: every process then refuses the unsafe settings listed by
    # `workflows.production.production_problems` (the development secret, loopback executor targets...).
    env: Literal["production", "development"] = "production"

    # Kafka
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # Of every topic a process creates (workflows.topics) and of the worker's changelog topic.
    kafka_replication_factor: int = Field(default=1, ge=1)
    events_topic: str = "workflows.events"
    events_dlq_topic: str = "workflows.events.dlq"
    definitions_topic: str = "workflows.definitions"
    out_topic: str = "workflows.out"
    events_partitions: int = Field(default=12, ge=1, le=1024)
    events_retention_ms: int = Field(default=30 * 24 * 3600 * 1000, description="replay window for backfills")
    out_retention_ms: int = Field(default=30 * 24 * 3600 * 1000)

    # PostgreSQL
    database_url: SecretStr = SecretStr("postgresql+asyncpg://workflows:workflows@127.0.0.1:5432/workflows")

    # NATS
    nats_url: str = "nats://127.0.0.1:4222"
    nats_stream: str = "WORKFLOWS_INBOUND"
    nats_dlq_subject: str = "workflows.dlq"

    # API
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    jwt_secret: SecretStr = SecretStr(DEVELOPMENT_JWT_SECRET)
    jwt_public_key: SecretStr | None = None
    jwt_algorithm: str = "HS256"
    # Checked only when set: a token must then carry exactly this `iss` / list this `aud`.
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    # A token lives at most this long (`exp - iat`); a stolen long-lived token is a standing credential.
    jwt_max_lifetime_s: int = Field(default=24 * 3600, ge=60)
    # Clock skew tolerated on `exp`, `iat` and `nbf` between the token issuer and this process.
    jwt_leeway_s: int = Field(default=30, ge=0, le=300)

    # Worker
    worker_id: str = "workflows-worker"
    worker_data_dir: Path = Path("var/worker")
    worker_web_port: int = 6066

    # Native services (`workflows services ...`)
    services_home: Path = Field(default_factory=_default_services_home)
    services_cache: Path = Field(default_factory=lambda: Path.home() / ".cache" / "workflows")
    kafka_version: str = "4.1.1"
    kafka_port: int = 9092
    kafka_controller_port: int = 9093
    kafka_heap: str = "768m"
    postgres_port: int = 5432
    postgres_bindir: Path | None = None
    postgres_db: str = "workflows"
    postgres_user: str = "workflows"
    postgres_password: SecretStr = SecretStr("workflows")
    nats_port: int = 4222
    nats_monitor_port: int = 8222

    # Observability
    log_level: str = "INFO"

    # NATS subjects the bridge subscribes to, comma-separated, without WORKFLOWS_BRIDGE_SUBJECT_PREFIX; empty:
    # the spec's six, form.submitted, contact.snapshot and the custom namespace events.> (workflows.subjects).
    bridge_subjects: str = ""
    # Event-type observations (per tenant and type: count and last seen) the bridge produces every few
    # seconds for GET /api/v1/event-types; one partition, deleted after the retention.
    observations_topic: str = "workflows.observations"
    observations_retention_ms: int = Field(default=3 * 24 * 3600 * 1000, ge=60_000)

    # Retention of the worker's dead-letter topic: long enough to inspect and replay what was refused.
    events_dlq_retention_ms: int = Field(default=14 * 24 * 3600 * 1000, ge=60_000)
