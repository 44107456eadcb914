"""Running real workers as subprocesses against unique topics, and talking to them through Kafka."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from workflows.settings import Settings
from workflows.wire import (
    IDEMPOTENCY_HEADER,
    SUBJECT_HEADER,
    active_key,
    definition_key,
    encode_events,
    out_items,
    partition_for,
)

PARTITIONS = 4
ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Stack:
    """One test's topics and consumer group: nothing is shared with other tests or test runs."""

    bootstrap: str
    uid: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    partitions: int = PARTITIONS

    @property
    def events(self) -> str:
        return f"t{self.uid}.workflows.events"

    @property
    def out(self) -> str:
        return f"t{self.uid}.workflows.out"

    @property
    def dlq(self) -> str:
        return f"t{self.uid}.workflows.events.dlq"

    @property
    def definitions(self) -> str:
        return f"t{self.uid}.workflows.definitions"

    @property
    def group(self) -> str:
        return f"w-{self.uid}"

    def env(self, datadir: Path, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            WORKFLOWS_KAFKA_BOOTSTRAP_SERVERS=self.bootstrap,
            WORKFLOWS_EVENTS_TOPIC=self.events,
            WORKFLOWS_OUT_TOPIC=self.out,
            WORKFLOWS_EVENTS_DLQ_TOPIC=self.dlq,
            WORKFLOWS_DEFINITIONS_TOPIC=self.definitions,
            WORKFLOWS_EVENTS_PARTITIONS=str(self.partitions),
            WORKFLOWS_WORKER_ID=self.group,
            WORKFLOWS_WORKER_DATA_DIR=str(datadir),
            WORKFLOWS_WORKER_WEB_PORT=str(free_port()),
            WORKFLOWS_LOG_LEVEL="INFO",
            WORKFLOWS_TIMER_TICK_S="0.25",
            WORKFLOWS_TIMER_REFIRE_S="5",
        )
        env.update(extra)
        return env

    async def create_topics(self) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            await admin.create_topics(
                [
                    NewTopic(self.events, self.partitions, 1),
                    NewTopic(self.out, self.partitions, 1),
                    NewTopic(self.dlq, 1, 1),
                    NewTopic(self.definitions, 1, 1, topic_configs={"cleanup.policy": "compact"}),
                ]
            )
        finally:
            await admin.close()

    async def delete_topics(self) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            names = [t for t in await admin.list_topics() if self.uid in t]
            if names:
                await admin.delete_topics(names)
        except Exception:  # cleanup is best effort
            pass
        finally:
            await admin.close()


class Worker:
    def __init__(self, stack: Stack, datadir: Path, name: str, **env: str) -> None:
        self.stack, self.datadir, self.name = stack, datadir, name
        self.env = stack.env(datadir, **env)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = datadir.parent / f"{name}.log"

    def start(self) -> Worker:
        self.datadir.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "workflows.cli", "worker"],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return self

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, timeout: float = 30) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self, n: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:]) if self.log.exists() else ""


def envelope(
    event_id: str, kind: str, contact: str, data: dict[str, Any] | None = None, *, tenant: str = "t1"
) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": kind,
        "tenantId": tenant,
        "contactId": contact,
        "occurredAt": "2026-01-01T00:00:00Z",
        "data": data or {},
    }


class Client:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, linger_ms=0)

    async def __aenter__(self) -> Client:
        await self.producer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.producer.stop()

    async def publish_definition(self, definition: dict[str, Any], *, status: str = "active") -> None:
        wid, version = definition["id"], definition["version"]
        await self.producer.send_and_wait(
            self.stack.definitions, orjson.dumps(definition), key=definition_key(wid, version)
        )
        pointer = {
            "workflowId": wid,
            "tenantId": definition["tenantId"],
            "version": version,
            "status": status,
        }
        await self.producer.send_and_wait(self.stack.definitions, orjson.dumps(pointer), key=active_key(wid))

    async def send(self, *envelopes: dict[str, Any], batch: bool = False) -> None:
        """One record per envelope (as the API does), or batch records per partition (as the bridge may)."""
        if not batch:
            for e in envelopes:
                await self.producer.send_and_wait(
                    self.stack.events, orjson.dumps(e), key=e["contactId"].encode()
                )
            return
        groups: dict[int, list[dict[str, Any]]] = {}
        for e in envelopes:
            groups.setdefault(partition_for(e["contactId"], self.stack.partitions), []).append(e)
        for p, items in groups.items():
            await self.producer.send_and_wait(
                self.stack.events, encode_events(items), key=items[0]["contactId"].encode(), partition=p
            )

    async def send_raw(
        self, value: bytes, key: bytes, headers: list[tuple[str, bytes]] | None = None
    ) -> None:
        await self.producer.send_and_wait(self.stack.events, value, key=key, headers=headers)


async def read_all(
    bootstrap: str,
    topic: str,
    *,
    until: Callable[[list[Any]], bool],
    within: float = 30.0,
    settle: float = 0.0,
    outputs: bool = False,
) -> list[Any]:
    """Every record of ``topic`` from the start until ``until(records)`` holds (then ``settle`` s more).
    With ``outputs`` (a ``workflows.out`` topic) each output of a pack is one record (:func:`outputs_of`)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        deadline = time.monotonic() + within
        parts: set[int] | None = None
        while parts is None and time.monotonic() < deadline:
            parts = consumer.partitions_for_topic(topic) or None
            if parts is None:
                await consumer._client.force_metadata_update()  # topic may not exist yet
                await asyncio.sleep(0.2)
        assert parts is not None, f"topic {topic} never appeared"
        tps = [TopicPartition(topic, p) for p in parts]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        records: list[Any] = []
        settled_at: float | None = None
        while True:
            batch = await consumer.getmany(timeout_ms=200)
            for items in batch.values():
                records.extend(outputs_of(items) if outputs else items)
            now = time.monotonic()
            if settled_at is None and until(records):
                settled_at = now + settle
            if settled_at is not None and now >= settled_at:
                return records
            if now > deadline:
                return records
    finally:
        await consumer.stop()


@dataclass(frozen=True, slots=True)
class OutputRecord:
    """One output of a ``workflows.out`` record, shaped like the record of a single output: keyed by its
    contact, with its subject and idempotency key as headers, at its record's position."""

    topic: str
    partition: int
    offset: int
    timestamp: int
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


def outputs_of(records: Iterable[Any]) -> list[OutputRecord]:
    """Each output of the records (the items of a pack, or a single output), in order."""
    flat = []
    for r in records:
        for item in out_items(r.value, r.headers):
            contact = orjson.loads(item.value).get("contactId") or ""
            headers = [
                (SUBJECT_HEADER, (item.subject or "").encode()),
                (IDEMPOTENCY_HEADER, (item.idempotency_key or "").encode()),
            ]
            flat.append(
                OutputRecord(
                    r.topic, r.partition, r.offset, r.timestamp, contact.encode(), item.value, headers
                )
            )
    return flat


def effects(records: Iterable[Any]) -> list[dict[str, Any]]:
    return [orjson.loads(r.value) for r in records]


def by_key(records: Iterable[Any]) -> dict[str, int]:
    """Idempotency key -> how many times it was produced."""
    counts: dict[str, int] = {}
    for r in records:
        key = dict(r.headers)["idempotency-key"].decode()
        counts[key] = counts.get(key, 0) + 1
    return counts


def settings_for(stack: Stack) -> Settings:
    return Settings(kafka_bootstrap_servers=stack.bootstrap)
