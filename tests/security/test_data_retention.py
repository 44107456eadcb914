"""The worker's dead-letter topic expires its records after ``WORKFLOWS_EVENTS_DLQ_RETENTION_MS`` (issue 10,
item 10): dead-lettered events carry contact data and were kept forever. Against the real Kafka."""

from __future__ import annotations

import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from streams.topics import ensure_topics
from workflows.settings import Settings

pytestmark = pytest.mark.integration


def _isolated(services: Settings, **overrides: object) -> Settings:
    prefix = f"ret{uuid.uuid4().hex[:10]}"
    return services.model_copy(
        update={
            "events_topic": f"{prefix}.events",
            "out_topic": f"{prefix}.out",
            "events_dlq_topic": f"{prefix}.events.dlq",
            "definitions_topic": f"{prefix}.definitions",
            "events_partitions": 1,
            **overrides,
        }
    )


async def _retention(settings: Settings, topic: str) -> str:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        [response] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    finally:
        await admin.close()
    for resource in response.resources:
        for entry in resource[4]:  # (name, value, read_only, is_default, is_sensitive, ...)
            if entry[0] == "retention.ms":
                return str(entry[1])
    raise AssertionError(f"no retention.ms for {topic}")


async def _delete(settings: Settings) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        prefix = settings.events_topic.split(".")[0]
        await admin.delete_topics([t for t in await admin.list_topics() if t.startswith(prefix)])
    finally:
        await admin.close()


async def test_the_dlq_topic_is_created_with_the_configured_retention(services: Settings) -> None:
    assert Settings().events_dlq_retention_ms == 14 * 24 * 3600 * 1000
    settings = _isolated(services, events_dlq_retention_ms=3 * 24 * 3600 * 1000)
    try:
        await ensure_topics(settings)
        assert await _retention(settings, settings.events_dlq_topic) == str(3 * 24 * 3600 * 1000)
    finally:
        await _delete(settings)


async def test_an_existing_dlq_topic_gets_the_retention(services: Settings) -> None:
    settings = _isolated(services, events_dlq_retention_ms=86_400_000)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(settings.events_dlq_topic, 1, 1)])  # as an older release made it
    finally:
        await admin.close()
    try:
        await ensure_topics(settings)
        assert await _retention(settings, settings.events_dlq_topic) == "86400000"
    finally:
        await _delete(settings)
