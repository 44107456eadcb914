"""Connections the bridge holds: NATS (JetStream) and a Kafka producer with acks=all.

The inbound and outbound mirrors run on top of these (see the bridge's own modules).
"""

from __future__ import annotations

import nats
from aiokafka import AIOKafkaProducer
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.api import StreamConfig
from nats.js.errors import NotFoundError

from workflows.settings import Settings

INBOUND_SUBJECTS = [
    "contact.created",
    "contact.updated",
    "segment.member.added",
    "segment.member.removed",
    "pipeline.message.opened",
    "pipeline.message.clicked",
]


class BridgeRunner:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.nc: NatsClient | None = None
        self.js: JetStreamContext | None = None
        self.producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        self.nc = await nats.connect(self.settings.nats_url, max_reconnect_attempts=-1, reconnect_time_wait=1)
        self.js = self.nc.jetstream()
        await self.ensure_stream()
        self.producer = AIOKafkaProducer(
            bootstrap_servers=self.settings.kafka_bootstrap_servers, acks="all", enable_idempotence=True
        )
        await self.producer.start()

    async def ensure_stream(self) -> None:
        """Create the inbound stream unless it exists; a stream the platform already owns is used as is."""
        assert self.js is not None
        try:
            await self.js.stream_info(self.settings.nats_stream)
        except NotFoundError:
            await self.js.add_stream(StreamConfig(name=self.settings.nats_stream, subjects=INBOUND_SUBJECTS))

    async def stop(self) -> None:
        if self.producer is not None:
            await self.producer.stop()
        if self.nc is not None:
            await self.nc.drain()
