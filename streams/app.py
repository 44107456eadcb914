"""`create_app(settings)`: the Faust application and its topics. Nothing is built at import time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import faust

from workflows.settings import Settings


@dataclass(frozen=True, slots=True)
class Topics:
    events: Any
    definitions: Any
    out: Any
    dlq: Any


def create_app(settings: Settings) -> tuple[faust.App, Topics]:
    app = faust.App(
        settings.worker_id,
        broker=f"kafka://{settings.kafka_bootstrap_servers}",
        store="rocksdb://",
        datadir=str(settings.worker_data_dir),
        topic_partitions=settings.events_partitions,
        topic_replication_factor=1,
        web_port=settings.worker_web_port,
        web_host="127.0.0.1",
        # Faust's defaults made a restart after SIGKILL wait out a 111 s session; keep failover quick.
        broker_session_timeout=10.0,
        broker_heartbeat_interval=3.0,
        consumer_auto_offset_reset="earliest",
    )
    ms = 1000.0
    topics = Topics(
        events=app.topic(
            settings.events_topic,
            key_type=bytes,
            value_type=bytes,
            partitions=settings.events_partitions,
            retention=settings.events_retention_ms / ms,
        ),
        definitions=app.topic(
            settings.definitions_topic, key_type=bytes, value_type=bytes, partitions=1, compacting=True
        ),
        out=app.topic(
            settings.out_topic,
            key_type=bytes,
            value_type=bytes,
            partitions=settings.events_partitions,
            retention=settings.out_retention_ms / ms,
        ),
        dlq=app.topic(settings.events_dlq_topic, key_type=bytes, value_type=bytes, partitions=1),
    )
    return app, topics
