"""One settings object for every process, read from ``WORKFLOWS_*`` environment variables.

Nothing here connects to anything: processes build their apps from a ``Settings`` instance
(``create_app(settings)``), so importing a module never opens a socket.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_services_home() -> Path:
    # PostgreSQL refuses to run as root, so as root the data must live where the
    # `postgres` user can reach it (a root home folder is mode 0700).
    if os.geteuid() == 0:
        return Path("/var/lib/workflows-dev")
    return Path.home() / ".local" / "state" / "workflows-dev"


class Settings(BaseSettings):
    """Every knob of every process. Defaults match `workflows services up` on 127.0.0.1."""

    model_config = SettingsConfigDict(env_prefix="WORKFLOWS_", extra="ignore")

    # Kafka
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
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
    jwt_secret: SecretStr = SecretStr("dev-only-secret-change-me-in-production-0123456789")
    jwt_public_key: SecretStr | None = None
    jwt_algorithm: str = "HS256"

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
