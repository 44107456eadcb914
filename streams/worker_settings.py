"""Worker-only knobs, read from the same ``WORKFLOWS_*`` environment as :class:`workflows.settings.Settings`.

Kept beside the worker (not in the shared settings) because only the streams worker reads them.
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class WorkerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WORKFLOWS_", extra="ignore")

    # Commit unit: the records of one fetch (at most this many), made durable together (outputs, then
    # changelog, then RocksDB). Larger units amortise the two produce round trips. The fetch returns as
    # soon as a record is there; `wait` only bounds an idle fetch.
    worker_batch_records: int = Field(default=2000, ge=1)
    worker_fetch_wait_ms: int = Field(default=100, ge=1)

    # RocksDB, per partition store of the contacts table. Faust's defaults (64 MiB write buffers, up to 3,
    # and a 2 GiB block cache, each per partition) let 12 partitions holding 1M waiting runs reach 1.1 GiB
    # of RSS, and kept most of the data in unflushed memtables and their write-ahead logs. Small buffers
    # flush to compressed tables early; the block cache bounds what reads keep.
    worker_rocksdb_write_buffer_bytes: int = Field(default=4 * 1024 * 1024, ge=1024 * 1024)
    worker_rocksdb_write_buffers: int = Field(default=2, ge=2)
    worker_rocksdb_block_cache_bytes: int = Field(default=8 * 1024 * 1024, ge=1024 * 1024)

    # The web server (health and Prometheus metrics only) listens on loopback unless configured.
    worker_web_host: str = "127.0.0.1"

    # Largest record the worker produces (a contact's state, an output): below the broker's default
    # message.max.bytes (1 MiB), so an oversized state or output is dead-lettered before Kafka refuses it.
    # A contact's state over this budget is trimmed first (streams.engine.fit_state).
    worker_max_record_bytes: int = Field(default=900 * 1024, ge=16 * 1024, le=1024 * 1024)

    # Timer pump: one scan of the due keys per tick; a fired timer not yet consumed is fired again only
    # after `refire` (the TimerFired record was lost or the partition moved): the engine drops duplicates.
    timer_tick_s: float = Field(default=0.25, gt=0)
    timer_refire_s: float = Field(default=30.0, gt=0)
    timer_fire_limit: int = Field(default=200_000, ge=1, description="fired per partition per tick")
    timer_envelopes_per_record: int = Field(default=500, ge=1)

    # Stale-run detector.
    stale_scan_interval_s: float = Field(default=300.0, gt=0)
    stale_overdue_ms: int = Field(default=15 * 60 * 1000, ge=1000, description="a wait this far past due")

    # Action executor (webhook, slack).
    executor_concurrency: int = Field(default=32, ge=1)
    # One tenant takes at most this many of the slots: a slow receiver of one tenant leaves room for others.
    executor_tenant_concurrency: int = Field(default=8, ge=1)
    # Upper bound of one attempt (connect, send and read together), whatever the node's timeoutMs says.
    executor_max_timeout_ms: int = Field(default=60_000, ge=100)
    # A pending action whose result was produced is not resubmitted before this (the result is on its way
    # through workflows.events); after it, it is called again (receivers drop repeats by Idempotency-Key).
    executor_resubmit_s: float = Field(default=60.0, gt=0)
    # Pending action keys are scanned at least this often (also when a slot frees or partitions move).
    executor_sweep_s: float = Field(default=5.0, gt=0)
    executor_attempts: int = Field(default=4, ge=1)
    executor_backoff_base_s: float = Field(default=0.5, gt=0)
    executor_backoff_max_s: float = Field(default=30.0, gt=0)
    executor_max_response_bytes: int = Field(default=256 * 1024, ge=1)
    # Hosts or CIDRs that may be private/loopback (the SSRF guard refuses those otherwise).
    executor_allow_hosts: list[str] = Field(default_factory=list)
    # Ports besides 80 and 443 that actions may call.
    executor_allow_ports: list[int] = Field(default_factory=list)
    slack_api_url: str = "https://slack.com/api/chat.postMessage"
    slack_bot_token: SecretStr | None = None
