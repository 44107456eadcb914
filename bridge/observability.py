"""Prometheus metrics, the health/metrics HTTP endpoint, the backoff both directions share, and the tally
of admitted event types that becomes ``workflows.observations`` records.

The HTTP endpoint is a few lines on ``asyncio.start_server``: two GET routes do not justify a web framework in
a process whose job is moving bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bridge.config import BridgeSettings
from bridge.errors import BridgeConfigError
from workflows.wire import ObservedType

log = logging.getLogger("bridge.http")

_BATCH_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """One registry per bridge, so several bridges (tests, benchmarks) can live in one process."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.messages_in = Counter(
            "bridge_inbound_messages", "Events forwarded from NATS to workflows.events", registry=r
        )
        self.records_in = Counter(
            "bridge_inbound_records",
            "Kafka records (packed batches) produced to workflows.events",
            registry=r,
        )
        self.messages_out = Counter(
            "bridge_outbound_messages", "Records of workflows.out published to JetStream", registry=r
        )
        self.duplicates_out = Counter(
            "bridge_outbound_duplicates", "Outbound publishes JetStream dropped as duplicates", registry=r
        )
        self.dead_lettered = Counter(
            "bridge_dead_lettered", "Messages set aside on the dead-letter subject", ["direction"], registry=r
        )
        self.lag = Gauge(
            "bridge_lag_messages",
            "Messages waiting: JetStream pending (inbound), Kafka lag (outbound)",
            ["direction"],
            registry=r,
        )
        self.batch_seconds = Histogram(
            "bridge_batch_seconds",
            "From fetch to acknowledgement, per batch",
            ["direction"],
            buckets=_BATCH_BUCKETS,
            registry=r,
        )
        self.observations = Counter(
            "bridge_observation_records",
            "Records of event-type observations produced to workflows.observations",
            registry=r,
        )
        self.errors = Counter(
            "bridge_errors",
            "Sessions ended by an error (then resumed with backoff)",
            ["direction"],
            registry=r,
        )


class EventTypeTally:
    """Events admitted per (tenantId, type) since the last ``take``: what ``GET /api/v1/event-types`` learns
    from. Counted once Kafka stored the events, so a batch that is nak'ed and redelivered counts once.

    Custom types are whatever publishers invent: at most ``max_keys`` pairs are kept per flush (so one
    record stays small, ~100 bytes a pair); the events of further pairs are counted as ``dropped``."""

    def __init__(self, *, max_keys: int = 2000) -> None:
        self._counts: dict[tuple[str, str], tuple[int, datetime]] = {}
        self._max_keys = max_keys
        self.dropped = 0

    def add(self, counts: Mapping[tuple[str, str], int], *, at: datetime | None = None) -> None:
        when = at or datetime.now(UTC)
        for key, n in counts.items():
            known = self._counts.get(key)
            if known is None and len(self._counts) >= self._max_keys:
                self.dropped += n
                continue
            before, last = known or (0, when)
            self._counts[key] = (before + n, max(last, when))

    def take(self) -> list[ObservedType]:
        items = [ObservedType(t, k, n, at) for (t, k), (n, at) in sorted(self._counts.items())]
        self._counts = {}
        return items

    def give_back(self, items: list[ObservedType]) -> None:
        """A flush that failed: its counts join the next one."""
        for item in items:
            self.add({(item.tenant_id, item.event_type): item.count}, at=item.last_seen_at)


class Backoff:
    """Exponential backoff with jitter; ``wait`` returns early when ``stop`` is set."""

    def __init__(self, *, initial: float, maximum: float) -> None:
        self.initial, self.maximum = initial, maximum
        self.delay = initial

    def reset(self) -> None:
        self.delay = self.initial

    async def wait(self, stop: asyncio.Event) -> None:
        # Jitter keeps several bridges from reconnecting in lockstep after a broker restart.
        delay = self.delay * random.uniform(0.8, 1.2)  # noqa: S311
        self.delay = min(self.delay * 2, self.maximum)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)


class Supervised:
    """A direction of the bridge: ``run`` repeats ``_session`` with backoff until stopped.

    Transient failures are logged, counted and retried; a ``BridgeConfigError`` (an operator must act)
    ends the run.
    """

    name: str
    status: str
    _metrics: Metrics
    _bridge: BridgeSettings

    async def _session(self, stop: asyncio.Event, backoff: Backoff) -> None:
        raise NotImplementedError

    async def run(self, stop: asyncio.Event) -> None:
        backoff = Backoff(initial=self._bridge.backoff_initial_s, maximum=self._bridge.backoff_max_s)
        while not stop.is_set():
            try:
                await self._session(stop, backoff)
            except BridgeConfigError:
                self.status = "failed"
                raise
            except Exception as exc:
                self.status = f"retrying after {type(exc).__name__}: {exc}"
                self._metrics.errors.labels(self.name).inc()
                logging.getLogger(f"bridge.{self.name}").warning(
                    "%s session failed; resuming after backoff", self.name, exc_info=True
                )
                await backoff.wait(stop)
        self.status = "stopped"


class HttpEndpoint:
    """``GET /health`` (200 or 503 with a JSON body) and ``GET /metrics`` (Prometheus text)."""

    def __init__(
        self, metrics: Metrics, health: Callable[[], dict[str, Any]], *, host: str, port: int
    ) -> None:
        self._metrics, self._health, self._host, self._port = metrics, health, host, port
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self._host, self._port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            path = request.split(b" ", 2)[1].decode(errors="replace") if request.count(b" ") >= 2 else ""
            if path == "/metrics":
                status, ctype, body = "200 OK", CONTENT_TYPE_LATEST, generate_latest(self._metrics.registry)
            elif path in ("/health", "/"):
                report = self._health()
                status = "200 OK" if report["healthy"] else "503 Service Unavailable"
                ctype, body = "application/json", orjson.dumps(report)
            else:
                status, ctype, body = "404 Not Found", "text/plain", b"not found\n"
            head = f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
            writer.write(head.encode() + b"Connection: close\r\n\r\n" + body)
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        finally:
            writer.close()
