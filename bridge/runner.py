"""The bridge process: one NATS connection, the directions this process runs, metrics and health.

``BridgeRunner(settings, bridge_settings)`` connects nothing until ``start()``; ``stop()`` lets every
direction drain its in-flight batch before the connection closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Any, Protocol

import nats
from aiokafka import AIOKafkaProducer
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from bridge.config import BridgeSettings
from bridge.errors import BridgeError
from bridge.inbound import InboundMirror, ensure_topics
from bridge.jetstream import ensure_dlq, ensure_inbound, ensure_outbound
from bridge.observability import Backoff, EventTypeTally, HttpEndpoint, Metrics
from bridge.outbound import OutboundMirror
from workflows.settings import Settings
from workflows.wire import encode_observations

log = logging.getLogger("bridge")

_LAG_EVERY_S = 5.0


class _Direction(Protocol):
    name: str
    status: str

    async def run(self, stop: asyncio.Event) -> None: ...


class BridgeRunner:
    def __init__(
        self, settings: Settings, bridge: BridgeSettings | None = None, *, metrics: Metrics | None = None
    ) -> None:
        self.settings = settings
        self.bridge = bridge or BridgeSettings()
        self.metrics = metrics or Metrics()
        self.nc: NatsClient | None = None
        self.js: JetStreamContext | None = None
        self.directions: list[_Direction] = []
        self.inbound_stream = ""
        self.tally = EventTypeTally()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.http = HttpEndpoint(
            self.metrics, self.health, host=self.bridge.http_host, port=self.bridge.http_port
        )

    async def start(self) -> None:
        """Connect (retrying with backoff), ensure streams, consumer and topic, start the directions."""
        await self.http.start()
        await self._connect()
        js = self.js
        assert js is not None
        wanted = self.bridge.direction_set
        await ensure_dlq(js, self.settings, self.bridge)
        if "inbound" in wanted:
            self.inbound_stream = await ensure_inbound(js, self.settings, self.bridge)
            await ensure_topics(self.settings, self.bridge)
            self.directions.append(
                InboundMirror(
                    self.settings,
                    self.bridge,
                    js=js,
                    stream=self.inbound_stream,
                    metrics=self.metrics,
                    tally=self.tally,
                )
            )
            self._tasks.append(asyncio.create_task(self._inbound_lag(js), name="bridge-inbound-lag"))
            self._tasks.append(asyncio.create_task(self._observations(), name="bridge-observations"))
        if "outbound" in wanted:
            await ensure_outbound(js, self.bridge)
            self.directions.append(OutboundMirror(self.settings, self.bridge, js=js, metrics=self.metrics))
        for direction in self.directions:
            self._tasks.append(
                asyncio.create_task(direction.run(self._stop), name=f"bridge-{direction.name}")
            )
        log.info("bridge started", extra={"directions": sorted(wanted), "http_port": self.http.port})

    async def _connect(self) -> None:
        async def on_error(exc: Exception) -> None:
            log.warning("nats error", extra={"error": repr(exc)})

        async def on_disconnect() -> None:
            if not self._stop.is_set():  # drain() at shutdown disconnects too
                log.warning("nats disconnected; reconnecting")

        async def on_reconnect() -> None:
            log.info("nats reconnected")

        backoff = Backoff(initial=self.bridge.backoff_initial_s, maximum=self.bridge.backoff_max_s)
        while True:
            try:
                self.nc = await nats.connect(
                    self.settings.nats_url,
                    name="workflows-bridge",
                    max_reconnect_attempts=-1,  # the client reconnects for ever; sessions resume on top
                    reconnect_time_wait=1,
                    error_cb=on_error,
                    disconnected_cb=on_disconnect,
                    reconnected_cb=on_reconnect,
                )
                break
            except Exception as exc:
                log.warning(
                    "nats unreachable; retrying", extra={"url": self.settings.nats_url, "error": repr(exc)}
                )
                await backoff.wait(self._stop)
                if self._stop.is_set():
                    raise BridgeError("stopped before NATS was reachable") from exc
        self.js = self.nc.jetstream(timeout=self.bridge.publish_timeout_s)

    async def _inbound_lag(self, js: JetStreamContext) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(Exception):  # a gauge must never take the bridge down
                info = await js.consumer_info(self.inbound_stream, self.bridge.inbound_durable)
                self.metrics.lag.labels("inbound").set(info.num_pending + info.num_ack_pending)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), _LAG_EVERY_S)

    async def _observations(self) -> None:
        """Every ``observations_flush_s``, the admitted (tenant, type) counts as one record; a failed send
        keeps them for the next flush. The last flush happens at stop, after the inbound drained."""
        producer = AIOKafkaProducer(
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            client_id="workflows-bridge-observations",
            acks="all",
        )
        await producer.start()
        try:
            while not self._stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), self.bridge.observations_flush_s)
                inbound = [t for t in self._tasks if t.get_name() == "bridge-inbound"]
                if self._stop.is_set() and inbound:  # count what the draining inbound still settles
                    await asyncio.wait(inbound, timeout=self.bridge.shutdown_timeout_s / 2)
                await self.flush_observations(producer)
        finally:
            await producer.stop()

    async def flush_observations(self, producer: AIOKafkaProducer) -> None:
        items = self.tally.take()
        if not items:
            return
        try:
            value = encode_observations(items, at=datetime.now(UTC))
            await producer.send_and_wait(self.settings.observations_topic, value, partition=0)
        except Exception:  # Kafka away: counts wait for the next flush rather than take the bridge down
            self.tally.give_back(items)
            log.warning("observations not produced; kept for the next flush", exc_info=True)
            return
        self.metrics.observations.inc()

    async def wait(self) -> None:
        """Until a direction fails for good (a configuration error); re-raises it."""
        if self._tasks:
            done, _ = await asyncio.wait(self._tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                task.result()

    def health(self) -> dict[str, Any]:
        nats_ok = self.nc is not None and self.nc.is_connected
        statuses = {d.name: d.status for d in self.directions}
        healthy = nats_ok and bool(statuses) and all(v == "running" for v in statuses.values())
        return {
            "healthy": healthy,
            "nats": "connected" if nats_ok else "disconnected",
            "directions": statuses,
        }

    async def stop(self) -> None:
        self._stop.set()
        if self._tasks:
            _, late = await asyncio.wait(self._tasks, timeout=self.bridge.shutdown_timeout_s)
            for task in late:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.http.stop()
        if self.nc is not None and not self.nc.is_closed:
            with contextlib.suppress(Exception):
                await self.nc.drain()
