"""Create the worker's topics when missing (Faust creates only its internal topics)."""

from __future__ import annotations

import contextlib

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError

from workflows.settings import Settings


async def ensure_topics(settings: Settings) -> None:
    s = settings
    # Dead-lettered events keep their payload (contact data): they expire like the other topics do.
    dlq_configs = {"retention.ms": str(s.events_dlq_retention_ms)}
    wanted = [
        NewTopic(
            s.events_topic, s.events_partitions, 1, topic_configs={"retention.ms": str(s.events_retention_ms)}
        ),
        NewTopic(
            s.out_topic, s.events_partitions, 1, topic_configs={"retention.ms": str(s.out_retention_ms)}
        ),
        NewTopic(s.events_dlq_topic, 1, 1, topic_configs=dlq_configs),
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
        if s.events_dlq_topic in existing:
            # A DLQ made by an older release kept records forever: the setting applies to it as well. The
            # DLQ has no other topic-level config, so setting the whole set changes nothing else.
            await admin.alter_configs(
                [ConfigResource(ConfigResourceType.TOPIC, s.events_dlq_topic, configs=dlq_configs)]
            )
    finally:
        await admin.close()
