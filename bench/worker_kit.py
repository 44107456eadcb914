"""What the worker benchmark drives: topics of one run, a worker subprocess, the workflow and the event mix."""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import socket
import subprocess
import sys
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workflows.wire import active_key, definition_key, partition_for  # noqa: E402

BOOTSTRAP = os.environ.get("WORKFLOWS_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
PARTITIONS = 12
TENANT = "tenant-bench"


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def six_node(workflow_id: str, *, delay_s: int, trigger: str) -> dict[str, Any]:
    nodes = [
        {"id": "n1", "type": "send_email", "data": {"templateId": "tpl-welcome", "fromName": "Acme"}},
        {"id": "n2", "type": "add_tag", "data": {"tag": "onboarding"}},
        {"id": "n3", "type": "update_contact", "data": {"attributes": {"stage": "onboarding"}}},
        {
            "id": "n4",
            "type": "condition",
            # True once n3 ran: every run reaches the delay (the timers are the point of the workflow).
            "data": {
                "conditions": [{"field": "attributes.stage", "operator": "equals", "value": "onboarding"}]
            },
        },
        {"id": "n5", "type": "delay", "data": {"duration": delay_s, "unit": "seconds"}},
        {"id": "n6", "type": "send_email", "data": {"templateId": "tpl-next"}},
        {"id": "n7", "type": "end", "data": {}},
    ]
    edges = [
        {"source": "trigger", "target": "n1"},
        {"source": "n1", "target": "n2"},
        {"source": "n2", "target": "n3"},
        {"source": "n3", "target": "n4"},
        {"source": "n4", "target": "n5", "branch": "true"},
        {"source": "n4", "target": "n7", "branch": "false"},
        {"source": "n5", "target": "n6"},
    ]
    return {
        "id": workflow_id,
        "tenantId": TENANT,
        "version": 1,
        "status": "active",
        "trigger": {
            "type": "event",
            "event": trigger,
            "conditions": [{"field": "event.plan", "operator": "equals", "value": "pro"}],
        },
        "nodes": nodes,
        "edges": edges,
        "goals": [
            {
                "id": "g1",
                "event": "contact.attribute_changed",
                "conditions": [{"field": "attributes.has_purchased", "operator": "equals", "value": True}],
            }
        ],
        "settings": {},
    }


class Topics:
    def __init__(self) -> None:
        self.uid = uuid.uuid4().hex[:8]
        p = f"bench{self.uid}"
        self.events, self.out, self.dlq, self.defs = f"{p}.events", f"{p}.out", f"{p}.dlq", f"{p}.defs"
        self.group = f"wb-{self.uid}"

    async def create(self) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
        await admin.start()
        await admin.create_topics(
            [
                NewTopic(self.events, PARTITIONS, 1),
                NewTopic(self.out, PARTITIONS, 1),
                NewTopic(self.dlq, 1, 1),
                NewTopic(self.defs, 1, 1, topic_configs={"cleanup.policy": "compact"}),
            ]
        )
        await admin.close()

    async def delete(self) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
        await admin.start()
        try:
            names = [t for t in await admin.list_topics() if self.uid in t]
            await admin.delete_topics(names)
        except Exception as exc:
            print(f"  (cleanup: {exc!r})")
        await admin.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class WorkerProc:
    def __init__(self, topics: Topics, datadir: Path) -> None:
        self.port = free_port()
        env = dict(os.environ)
        env.update(
            WORKFLOWS_KAFKA_BOOTSTRAP_SERVERS=BOOTSTRAP,
            WORKFLOWS_EVENTS_TOPIC=topics.events,
            WORKFLOWS_OUT_TOPIC=topics.out,
            WORKFLOWS_EVENTS_DLQ_TOPIC=topics.dlq,
            WORKFLOWS_DEFINITIONS_TOPIC=topics.defs,
            WORKFLOWS_EVENTS_PARTITIONS=str(PARTITIONS),
            WORKFLOWS_WORKER_ID=topics.group,
            WORKFLOWS_WORKER_DATA_DIR=str(datadir),
            WORKFLOWS_WORKER_WEB_PORT=str(self.port),
            WORKFLOWS_LOG_LEVEL=os.environ.get("BENCH_WORKER_LOG_LEVEL", "INFO"),
            WORKFLOWS_STALE_SCAN_INTERVAL_S="3600",
            WORKFLOWS_ENV=os.environ.get("WORKFLOWS_ENV", "development"),  # a loopback broker, no secrets
        )
        self.datadir = datadir
        self.log = datadir.parent / f"worker-{topics.uid}.log"
        datadir.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "workflows.cli", "worker"], cwd=ROOT, env=env, stdout=out, stderr=out
            )
        self.spy: subprocess.Popen[bytes] | None = None
        # A file name: py-spy samples each worker, raw frames in that name with the run's id before the
        # suffix (``worker.txt`` -> ``worker.<uid>.txt``), so the latency worker does not overwrite the others.
        profile = os.environ.get("BENCH_PROFILE")
        if profile:
            named = Path(profile)
            profile = str(named.with_name(f"{named.stem}.{topics.uid}{named.suffix}"))
            spy = Path(sys.executable).with_name("py-spy")
            record = ["record", "--nonblocking", "--rate", "100", "--format", "raw", "-o", profile]
            self.spy = subprocess.Popen(
                [str(spy), *record, "--pid", str(self.proc.pid)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

    def metrics(self) -> dict[str, float]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=2) as r:
                text = r.read().decode()
        except OSError:
            return {}
        out: dict[str, float] = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                out[name] = float(value)
        return out

    def running(self) -> float:
        """Runs started and not ended (each of the bench's runs then waits on its delay)."""
        m = self.metrics()
        started = m.get('workflows_runs_total{status="started"}', 0)
        ended = sum(
            m.get(f'workflows_runs_total{{status="{s}"}}', 0) for s in ("completed", "failed", "goal_reached")
        )
        return started - ended

    def disk_bytes(self) -> int:
        """Bytes of the files in the worker's data folder (RocksDB tables, logs and Faust's own files)."""
        return sum(f.stat().st_size for f in self.datadir.rglob("*") if f.is_file())

    def rss_mib(self) -> float:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        return int(match.group(1)) / 1024 if match else float("nan")

    def peak_rss_mib(self) -> float:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        return int(match.group(1)) / 1024 if match else float("nan")

    def cpu_s(self) -> float:
        """User plus system CPU seconds the worker process used so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.spy is not None and self.spy.poll() is None:
            self.spy.send_signal(signal.SIGINT)  # py-spy writes its samples on an interrupt
            try:
                self.spy.wait(30)
            except subprocess.TimeoutExpired:
                self.spy.kill()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def mix_event(i: int, contact: str, now_ms: int, rng: random.Random) -> dict[str, Any]:
    r = rng.random()
    base = {"id": f"ev-{i}", "tenantId": TENANT, "contactId": contact, "occurredAt": iso(now_ms)}
    if r < 0.70:
        return {**base, "type": "contact.updated", "data": {"changes": {"attributes.visits": i}}}
    if r < 0.90:
        return {**base, "type": "subscription.started", "data": {"plan": "pro"}}
    if r < 0.95:
        return {**base, "type": "contact.updated", "data": {"changes": {"attributes.has_purchased": True}}}
    return {**base, "type": "pipeline.message.opened", "data": {"messageId": f"m{i}"}}


def pack_records(envelopes: list[dict[str, Any]], per_record: int) -> list[tuple[int, bytes, bytes]]:
    """(partition, key, value) records of up to ``per_record`` envelopes each, as the bridge packs them."""
    groups: dict[int, list[dict[str, Any]]] = {}
    for e in envelopes:
        groups.setdefault(partition_for(e["contactId"], PARTITIONS), []).append(e)
    records = []
    for p, items in groups.items():
        for i in range(0, len(items), per_record):
            chunk = items[i : i + per_record]
            records.append((p, chunk[0]["contactId"].encode(), orjson.dumps(chunk)))
    return records


async def send_records(
    producer: AIOKafkaProducer, topic: str, records: list[tuple[int, bytes, bytes]]
) -> None:
    futures = [await producer.send(topic, value, key=key, partition=p) for p, key, value in records]
    await asyncio.gather(*futures)


async def produce_packed(
    producer: AIOKafkaProducer, topic: str, envelopes: list[dict[str, Any]], per_record: int
) -> None:
    await send_records(producer, topic, pack_records(envelopes, per_record))


async def publish(producer: AIOKafkaProducer, topics: Topics, definition: dict[str, Any]) -> None:
    wid = definition["id"]
    await producer.send_and_wait(topics.defs, orjson.dumps(definition), key=definition_key(wid, 1))
    pointer = {"workflowId": wid, "tenantId": TENANT, "version": 1, "status": "active"}
    await producer.send_and_wait(topics.defs, orjson.dumps(pointer), key=active_key(wid))
