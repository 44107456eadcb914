"""Bridge-only knobs, read from ``WORKFLOWS_BRIDGE_*``.

The shared ``Settings`` holds the topic names, the inbound stream name, the dead-letter subject and the
inbound subject list (``WORKFLOWS_BRIDGE_SUBJECTS``, read by the API too: ``workflows.subjects``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from workflows.subjects import DEFAULT_SUBJECTS

Direction = Literal["inbound", "outbound"]

# The default subjects that are one exact type each (benchmarks and tests publish on them); the list the
# bridge subscribes to is ``workflows.subjects.inbound_subjects(settings)``.
INBOUND_SUBJECTS = tuple(s for s in DEFAULT_SUBJECTS if "*" not in s and ">" not in s)

# What the worker publishes through workflows.out (architecture: "Contracts with the rest of the platform").
OUTBOUND_SUBJECTS = (
    "workflow.run.*",
    "workflow.node.executed",
    "workflow.contact.erased",
    "pipeline.message.send",
    "contact.command.*",
    "segment.command.*",
)

_DAY = 24 * 3600.0


class BridgeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WORKFLOWS_BRIDGE_", extra="ignore")

    # "inbound,outbound" runs both; one direction per process lets each scale on its own.
    directions: str = "inbound,outbound"
    # Prepended to every NATS subject (inbound, outbound); lets tests and staging share one NATS server.
    subject_prefix: str = ""

    # Inbound: JetStream -> workflows.events
    inbound_durable: str = "workflows-bridge"
    inbound_max_age_s: float = Field(default=7 * _DAY, gt=0)
    fetch_batch: int = Field(default=1000, ge=1, le=10_000)
    fetch_timeout_s: float = Field(default=1.0, gt=0)
    # Fetched batches whose Kafka acks are still outstanding; the bound is the backpressure on NATS.
    # Measured (bench/bridge_bench.py, nats-server 2.9): overlapping fetches with unacknowledged batches made
    # each fetch about twice as slow (17k vs 24k msg/s), so the default settles each fetch before the next.
    max_in_flight_batches: int = Field(default=1, ge=1, le=64)
    # Kafka's default message.max.bytes is ~1 MiB per record batch: one event must fit with room to spare.
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    # Events packed into one workflows.events record stop growing at this size.
    max_record_bytes: int = Field(default=512 * 1024, ge=1024)
    ack_wait_s: float = Field(default=30.0, gt=0)
    max_ack_pending: int = Field(default=20_000, ge=1)
    # After a crash, wait for the dead process's unacknowledged messages to be redelivered before fetching
    # new ones, so per-contact order survives the restart. Turn off when several inbound processes share
    # the consumer (their acks keep it busy, so the wait would always be a full ack_wait).
    wait_for_redelivery: bool = True

    # Event-type observations: counts are produced to WORKFLOWS_OBSERVATIONS_TOPIC this often (when any).
    observations_flush_s: float = Field(default=10.0, gt=0)

    # Dead letters: their own stream so they are kept and can be replayed.
    dlq_stream: str = "WORKFLOWS_DLQ"
    dlq_max_age_s: float = Field(default=14 * _DAY, gt=0)

    # Outbound: workflows.out -> JetStream
    outbound_stream: str = "WORKFLOWS_OUTBOUND"
    outbound_max_age_s: float = Field(default=7 * _DAY, gt=0)
    # JetStream keeps every Nats-Msg-Id of this window in memory; a replay after a crash lands well inside it.
    outbound_dedupe_window_s: float = Field(default=120.0, gt=0)
    outbound_group: str = "workflows-bridge-out"
    outbound_batch: int = Field(default=500, ge=1, le=10_000)
    # Outputs published concurrently: a poll of packed records may hold hundreds of thousands of outputs.
    outbound_window: int = Field(default=2000, ge=1, le=100_000)
    publish_timeout_s: float = Field(default=10.0, gt=0)
    # A subject no stream captures is retried this many times before the record is dead-lettered.
    no_stream_attempts: int = Field(default=5, ge=1)

    # Operations
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=6067, ge=0, le=65535)  # 0: any free port (tests)
    backoff_initial_s: float = Field(default=0.5, gt=0)
    backoff_max_s: float = Field(default=30.0, gt=0)
    shutdown_timeout_s: float = Field(default=30.0, gt=0)

    @field_validator("directions")
    @classmethod
    def _known_directions(cls, value: str) -> str:
        names = {part.strip() for part in value.split(",") if part.strip()}
        unknown = names - {"inbound", "outbound"}
        if unknown or not names:
            raise ValueError(f"directions must be 'inbound', 'outbound' or both, got {value!r}")
        return ",".join(sorted(names))

    @property
    def direction_set(self) -> frozenset[str]:
        return frozenset(self.directions.split(","))

    def subject(self, name: str) -> str:
        return f"{self.subject_prefix}{name}"

    def event_type(self, subject: str) -> str:
        """The platform subject a prefixed subject stands for (``workflows.subjects.event_type_of`` turns
        it into the envelope's ``type``)."""
        prefix = self.subject_prefix
        return subject[len(prefix) :] if prefix and subject.startswith(prefix) else subject
