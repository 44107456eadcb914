"""The product as its users meet it: bridge, worker(s) and API as separate OS processes on the real services.

Each ``Stack`` gets its own topics, JetStream streams, subject prefix, consumer groups, ports and folders, so
stacks never see each other's data; ``kill`` / ``restart`` let fault tests SIGKILL any process. ``stop``
deletes the Kafka topics and JetStream streams the stack created, so test runs leave the shared brokers as
they found them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import nats
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from workflows.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Process:
    name: str
    command: str
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "workflows.cli", self.command],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,
            )

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        if self.alive():
            assert self.proc is not None
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self, timeout: float = 30) -> int | None:
        if self.proc is None:
            return None
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return self.proc.returncode


@dataclass
class Stack:
    base: Settings
    folder: Path
    workers: int = 1
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    processes: dict[str, Process] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.prefix = f"e2e{self.run}."
        self.api_port = free_port()
        # The tests' HTTP receivers listen on this loopback port: the SSRF guard allows 80 and 443 and the
        # ports it is given.
        self.receiver_port = free_port()
        overrides: dict[str, str | int] = {
            "events_topic": f"{self.prefix}workflows.events",
            "events_dlq_topic": f"{self.prefix}workflows.events.dlq",
            "definitions_topic": f"{self.prefix}workflows.definitions",
            "out_topic": f"{self.prefix}workflows.out",
            "nats_stream": f"E2E{self.run}_IN",
            "nats_dlq_subject": f"{self.prefix}workflows.dlq",
            "observations_topic": f"{self.prefix}workflows.observations",
            "worker_id": f"e2e{self.run}-worker",
            "api_port": self.api_port,
        }
        self.settings = self.base.model_copy(update=overrides)
        self.env = {
            **os.environ,
            **{f"WORKFLOWS_{key.upper()}": str(value) for key, value in overrides.items()},
            "WORKFLOWS_DATABASE_URL": self.base.database_url.get_secret_value(),
            "WORKFLOWS_BRIDGE_SUBJECT_PREFIX": self.prefix,
            "WORKFLOWS_BRIDGE_INBOUND_DURABLE": f"e2e{self.run}",
            "WORKFLOWS_BRIDGE_DLQ_STREAM": f"E2E{self.run}_DLQ",
            "WORKFLOWS_BRIDGE_OUTBOUND_STREAM": f"E2E{self.run}_OUT",
            "WORKFLOWS_BRIDGE_OUTBOUND_GROUP": f"e2e{self.run}-bridge-out",
            "WORKFLOWS_BRIDGE_HTTP_PORT": "0",
            "WORKFLOWS_PROJECTOR_GROUP_ID": f"e2e{self.run}-projector",
            # The tests' webhook receiver listens on loopback, which the SSRF guard refuses unless allowed
            # (and production mode refuses that allowance: the stack runs in development mode).
            "WORKFLOWS_EXECUTOR_ALLOW_HOSTS": '["127.0.0.1"]',
            "WORKFLOWS_EXECUTOR_ALLOW_PORTS": f"[{self.receiver_port}]",
            "WORKFLOWS_ENV": "development",
        }
        self.folder.mkdir(parents=True, exist_ok=True)
        self._add("bridge", "bridge", {})
        for i in range(self.workers):
            self._add_worker(i)
        self._add("api", "api", {})

    def _add(self, name: str, command: str, extra: dict[str, str]) -> None:
        self.processes[name] = Process(name, command, {**self.env, **extra}, self.folder / f"{name}.log")

    def _add_worker(self, i: int) -> None:
        self._add(
            f"worker-{i}",
            "worker",
            {
                "WORKFLOWS_WORKER_DATA_DIR": str(self.folder / f"worker-{i}"),
                "WORKFLOWS_WORKER_WEB_PORT": str(free_port()),
            },
        )

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def start(self, timeout: float = 90) -> None:
        for p in self.processes.values():
            p.start()
        self.wait_api(timeout)

    def wait_api(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.api}/readyz", timeout=2).status_code == 200:
                    return
            for p in self.processes.values():
                if not p.alive():
                    raise AssertionError(f"{p.name} exited: {self.tail(p.name)}")
            time.sleep(0.3)
        raise AssertionError(f"API not healthy in {timeout}s: {self.tail('api')}")

    def tail(self, name: str, lines: int = 40) -> str:
        path = self.processes[name].log
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def worker_ports(self) -> list[int]:
        return [
            int(p.env["WORKFLOWS_WORKER_WEB_PORT"])
            for p in self.processes.values()
            if p.command == "worker" and p.alive()
        ]

    def events_processed(self) -> float:
        """Events applied so far by the live workers (their ``workflows_events_processed_total``)."""
        metric = "workflows_events_processed_total"
        return sum(worker_metric(port, metric) or 0 for port in self.worker_ports())

    def wait_events_processed(self, at_least: float, *, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.events_processed() < at_least:
            applied = self.events_processed()
            assert time.monotonic() < deadline, f"workers applied {applied} < {at_least} events"
            time.sleep(0.1)

    def wait_definitions_synced(self, *, timeout: float = 30) -> None:
        """Until every definition record the API wrote for this stack is published and applied by every
        live worker (activation is asynchronous: outbox -> relay -> Kafka -> each worker's global table)."""
        deadline = time.monotonic() + timeout
        written = published = end = 0
        seen: list[float | None] = []
        while time.monotonic() < deadline:
            written, published = _outbox_counts(self.settings)
            if written == published:
                end = _end_offset(self.settings, self.settings.definitions_topic)
                seen = [worker_metric(port, "workflows_definitions_position") for port in self.worker_ports()]
                if seen and all(v is not None and v >= end for v in seen):
                    return
            time.sleep(0.1)
        raise AssertionError(
            f"definitions not synced: outbox {published}/{written} sent, topic end {end}, workers at {seen}"
        )

    def kill(self, name: str) -> None:
        self.processes[name].kill()

    def restart(self, name: str) -> None:
        self.processes[name].start()

    def streams(self) -> list[str]:
        return [
            self.settings.nats_stream,
            self.env["WORKFLOWS_BRIDGE_OUTBOUND_STREAM"],
            self.env["WORKFLOWS_BRIDGE_DLQ_STREAM"],
        ]

    def stop(self) -> dict[str, int | None]:
        """Stop every process, then delete the stack's topics (ours and the worker's internal ones, all
        named after the run) and streams."""
        codes = {name: p.stop() for name, p in reversed(list(self.processes.items()))}
        try:
            _run_async(_delete_resources(self.settings, f"e2e{self.run}", self.streams()))
        except Exception as exc:  # a broker still restarting must not fail the test that ran
            print(f"stack {self.run}: cleanup incomplete: {exc!r}")
        return codes


async def _delete_resources(settings: Settings, topic_prefix: str, streams: list[str]) -> None:
    nc = await nats.connect(settings.nats_url)
    try:
        js = nc.jetstream()
        for stream in streams:
            with contextlib.suppress(nats.js.errors.NotFoundError):
                await js.delete_stream(stream)
    finally:
        await nc.close()
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        # `e2e<run>.` (topics the stack names) and `e2e<run>-worker-` (the worker's changelog and assignor).
        doomed = [
            t for t in await admin.list_topics() if t.startswith((f"{topic_prefix}.", f"{topic_prefix}-"))
        ]
        if doomed:
            await admin.delete_topics(doomed)
    finally:
        await admin.close()


def _run_async(coro: Any) -> Any:
    """Run a coroutine to completion from sync code, even inside a running event loop (async tests)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _outbox_counts(settings: Settings) -> tuple[int, int]:
    """(rows written, rows sent) of the API's outbox for this stack's definitions topic."""

    async def _count() -> tuple[int, int]:
        dsn = settings.database_url.get_secret_value().replace("postgresql+asyncpg://", "postgresql://", 1)
        conn = await asyncpg.connect(dsn)
        try:
            row = await conn.fetchrow(
                "SELECT count(*) AS written, count(sent_at) AS sent FROM outbox WHERE topic = $1",
                settings.definitions_topic,
            )
        finally:
            await conn.close()
        assert row is not None
        return int(row["written"]), int(row["sent"])

    # Callers may be inside a running event loop (async tests): query from a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _count()).result()


def _end_offset(settings: Settings, topic: str) -> int:
    """The end offset of a one-partition topic."""

    async def _end() -> int:
        consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
        await consumer.start()
        try:
            tp = TopicPartition(topic, 0)
            return int((await consumer.end_offsets([tp]))[tp])
        finally:
            await consumer.stop()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _end()).result()


def worker_metric(port: int, name: str) -> float | None:
    """One sample of a worker's Prometheus endpoint (None while the worker is not serving)."""
    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
    except httpx.HTTPError:
        return None
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return None
