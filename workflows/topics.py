"""The product's Kafka topics and their creation: one place for partition counts, configs and the
replication factor (``WORKFLOWS_KAFKA_REPLICATION_FACTOR``), so the bridge, the worker and the API's relay
create a topic the same way whichever of them starts first.

* ``workflows.events`` and ``workflows.out``: ``events_partitions`` each (the worker writes a contact's
  outputs to the partition of its events), deleted after their retention;
* ``workflows.events.dlq``: one partition; dead-lettered events keep their payload (contact data), so they
  expire too;
* ``workflows.definitions``: one partition (one total order of versions and pointers), compacted;
* ``workflows.observations``: one partition, deleted after its retention.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError

from workflows.settings import Settings

log = logging.getLogger("workflows.topics")


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    partitions: int
    configs: Mapping[str, str] = field(default_factory=dict)
    # Applied to the topic when it already exists too (one an older release created without them). Only
    # for topics whose whole config set is this mapping: altering sets the whole set.
    enforce_configs: bool = False


def events_topic(s: Settings) -> TopicSpec:
    return TopicSpec(s.events_topic, s.events_partitions, {"retention.ms": str(s.events_retention_ms)})


def out_topic(s: Settings) -> TopicSpec:
    return TopicSpec(s.out_topic, s.events_partitions, {"retention.ms": str(s.out_retention_ms)})


def events_dlq_topic(s: Settings) -> TopicSpec:
    # A DLQ made by an older release kept records forever: the retention applies to it as well.
    return TopicSpec(
        s.events_dlq_topic, 1, {"retention.ms": str(s.events_dlq_retention_ms)}, enforce_configs=True
    )


def definitions_topic(s: Settings) -> TopicSpec:
    return TopicSpec(s.definitions_topic, 1, {"cleanup.policy": "compact"})


def observations_topic(s: Settings) -> TopicSpec:
    return TopicSpec(
        s.observations_topic,
        1,
        {"cleanup.policy": "delete", "retention.ms": str(s.observations_retention_ms)},
    )


async def ensure_topics(settings: Settings, specs: Sequence[TopicSpec], *, client_id: str) -> list[str]:
    """Create the missing topics with ``settings.kafka_replication_factor``; returns the names created."""
    replication = settings.kafka_replication_factor
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers, client_id=client_id)
    await admin.start()
    created: list[str] = []
    try:
        existing = set(await admin.list_topics())
        for spec in specs:
            if spec.name in existing:
                if spec.enforce_configs:
                    resource = ConfigResource(ConfigResourceType.TOPIC, spec.name, configs=dict(spec.configs))
                    await admin.alter_configs([resource])
                continue
            topic = NewTopic(spec.name, spec.partitions, replication, topic_configs=dict(spec.configs))
            with contextlib.suppress(TopicAlreadyExistsError):  # another process created it first
                await admin.create_topics([topic])
                created.append(spec.name)
                log.info("topic created", extra={"topic": spec.name, "replicationFactor": replication})
    finally:
        await admin.close()
    return created
