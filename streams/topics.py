"""Create the worker's topics when missing (Faust creates only its internal topics)."""

from __future__ import annotations

import contextlib

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from workflows.settings import Settings


async def ensure_topics(settings: Settings) -> None:
    s = settings
    wanted = [
        NewTopic(
            s.events_topic, s.events_partitions, 1, topic_configs={"retention.ms": str(s.events_retention_ms)}
        ),
        NewTopic(
            s.out_topic, s.events_partitions, 1, topic_configs={"retention.ms": str(s.out_retention_ms)}
        ),
        NewTopic(s.events_dlq_topic, 1, 1),
        NewTopic(s.definitions_topic, 1, 1, topic_configs={"cleanup.policy": "compact"}),
    ]
    admin = AIOKafkaAdminClient(bootstrap_servers=s.kafka_bootstrap_servers, client_id=f"{s.worker_id}-admin")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in wanted if t.name not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):  # another process created them first
                await admin.create_topics(missing)
    finally:
        await admin.close()
