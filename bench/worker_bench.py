"""Worker benchmark on the real broker: raw aiokafka pass-through vs the streams worker.

Run: ``python bench/worker_bench.py [--events N] [--repeats R] [--timers T]`` (Kafka from
``workflows services up``). Every run uses fresh topics and a fresh consumer group. Prints medians:

* ``baseline``: raw aiokafka consume-transform-produce, one JSON event per record (decode, re-encode,
  produce), N records;
* ``worker``: one ``workflows worker`` process draining N preloaded events, packed per partition as the
  bridge packs them (``--per-record`` envelopes per record): 70% events that match no trigger, 20% that
  start a 6-node run (send, tag, update, condition, delay 1 h, send), 10% goal events (half of them reach
  the goal of a running run) and message opens; events/s from the worker's own counter, peak RSS;
* ``latency``: the same mix produced at half the measured worker rate for ``--latency-s`` seconds;
  p50/p99 from the trigger event's produce time (its occurredAt) to its ``workflow.run.started`` on
  workflows.out (the record timestamp the worker's producer set);
* ``timers``: T contacts each start a run waiting on a delay that comes due after all are loaded; reports
  the pending timers at the peak and, as they fire, the timer lateness (due to applied) p99 / max from
  the worker's histogram and the pump's oldest-due gauge.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workflows.wire import active_key, definition_key, partition_for  # noqa: E402

TENANT = "tenant-bench"
BOOTSTRAP = os.environ.get("WORKFLOWS_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
PARTITIONS = 12


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
            "data": {"conditions": [{"field": "source", "operator": "exists"}]},
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
        )
        self.log = datadir.parent / f"worker-{topics.uid}.log"
        datadir.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "workflows.cli", "worker"], cwd=ROOT, env=env, stdout=out, stderr=out
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

    def peak_rss_mib(self) -> float:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        return int(match.group(1)) / 1024 if match else float("nan")

    def stop(self) -> None:
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


async def produce_packed(
    producer: AIOKafkaProducer, topic: str, envelopes: list[dict[str, Any]], per_record: int
) -> None:
    groups: dict[int, list[dict[str, Any]]] = {}
    for e in envelopes:
        groups.setdefault(partition_for(e["contactId"], PARTITIONS), []).append(e)
    futures = []
    for p, items in groups.items():
        for i in range(0, len(items), per_record):
            chunk = items[i : i + per_record]
            futures.append(
                await producer.send(
                    topic, orjson.dumps(chunk), key=chunk[0]["contactId"].encode(), partition=p
                )
            )
    await asyncio.gather(*futures)


async def publish(producer: AIOKafkaProducer, topics: Topics, definition: dict[str, Any]) -> None:
    wid = definition["id"]
    await producer.send_and_wait(topics.defs, orjson.dumps(definition), key=definition_key(wid, 1))
    pointer = {"workflowId": wid, "tenantId": TENANT, "version": 1, "status": "active"}
    await producer.send_and_wait(topics.defs, orjson.dumps(pointer), key=active_key(wid))


# -- baseline --------------------------------------------------------------------------------------------
async def baseline(n: int) -> float:
    topics = Topics()
    await topics.create()
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, linger_ms=5, max_batch_size=512 * 1024)
    await producer.start()
    rng = random.Random(1)
    now = int(time.time() * 1000)
    futures = []
    for i in range(n):
        e = mix_event(i, f"c{i % 100_000}", now, rng)
        futures.append(await producer.send(topics.events, orjson.dumps(e), key=e["contactId"].encode()))
    await asyncio.gather(*futures)
    consumer = AIOKafkaConsumer(
        topics.events,
        bootstrap_servers=BOOTSTRAP,
        group_id=topics.group,
        auto_offset_reset="earliest",
        enable_auto_commit=True,
        max_poll_records=5000,
        fetch_max_bytes=16 * 1024 * 1024,
    )
    await consumer.start()
    seen, started = 0, 0.0
    while seen < n:
        batch = await consumer.getmany(timeout_ms=500, max_records=5000)
        if not started and batch:
            started = time.perf_counter()
        futures = []
        for records in batch.values():
            for record in records:
                event = orjson.loads(record.value)
                futures.append(await producer.send(topics.out, orjson.dumps(event), key=record.key))
        seen += len(futures)
        await asyncio.gather(*futures)
    elapsed = time.perf_counter() - started
    await consumer.stop()
    await producer.stop()
    await topics.delete()
    return n / elapsed


# -- worker throughput -------------------------------------------------------------------------------------
async def worker_throughput(n: int, contacts: int, per_record: int, tmp: Path) -> tuple[float, float]:
    topics = Topics()
    await topics.create()
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, linger_ms=5, max_batch_size=1024 * 1024)
    await producer.start()
    await publish(producer, topics, six_node("wf-six", delay_s=3600, trigger="subscription.started"))
    rng = random.Random(2)
    now = int(time.time() * 1000)
    await produce_packed(
        producer,
        topics.events,
        [mix_event(i, f"c{rng.randrange(contacts)}", now, rng) for i in range(n)],
        per_record,
    )
    await producer.stop()
    worker = WorkerProc(topics, tmp / f"data-{topics.uid}")
    try:
        first: float | None = None
        last, stalled_at = -1.0, time.monotonic()
        while time.monotonic() - stalled_at < 60:
            processed = worker.metrics().get("workflows_events_processed_total", 0)
            if processed != last:
                last, stalled_at = processed, time.monotonic()
            if processed and first is None:
                first, first_count = time.perf_counter(), processed
            if processed >= n:
                break
            await asyncio.sleep(0.1)
        else:
            raise RuntimeError(f"worker stalled at {last} of {n} events; see {worker.log}")
        assert first is not None
        rate = (n - first_count) / (time.perf_counter() - first)
        return rate, worker.peak_rss_mib()
    finally:
        worker.stop()
        await topics.delete()


# -- latency at a fixed rate --------------------------------------------------------------------------------
async def latency(rate: float, seconds: float, contacts: int, tmp: Path) -> tuple[float, float, int]:
    topics = Topics()
    await topics.create()
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, linger_ms=0)
    await producer.start()
    await publish(producer, topics, six_node("wf-six", delay_s=3600, trigger="subscription.started"))
    worker = WorkerProc(topics, tmp / f"data-{topics.uid}")
    consumer = AIOKafkaConsumer(bootstrap_servers=BOOTSTRAP, enable_auto_commit=False)
    await consumer.start()
    try:
        # Warm up: wait until the worker applies events.
        probe = {"id": "warm", "type": "noop", "tenantId": TENANT, "contactId": "warm", "occurredAt": iso(0)}
        await produce_packed(producer, topics.events, [probe], 1)
        while not worker.metrics().get("workflows_events_processed_total"):
            await asyncio.sleep(0.2)
        tps = [TopicPartition(topics.out, p) for p in range(PARTITIONS)]
        consumer.assign(tps)
        await consumer.seek_to_end(*tps)
        rng = random.Random(3)
        tick = 0.01  # the bridge packs what arrived in 10 ms per partition
        per_tick = rate * tick
        owed, i, started = 0.0, 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            owed += per_tick
            count = int(owed)
            owed -= count
            now = int(time.time() * 1000)
            batch = [mix_event(i + k, f"c{rng.randrange(contacts)}", now, rng) for k in range(count)]
            i += count
            if batch:
                await produce_packed(producer, topics.events, batch, 1000)
            await asyncio.sleep(
                max(
                    0.0,
                    started + (tick * (1 + (time.perf_counter() - started) // tick)) - time.perf_counter(),
                )
            )
        latencies: list[float] = []
        quiet = time.monotonic() + 5
        while time.monotonic() < quiet:
            got = await consumer.getmany(timeout_ms=500)
            for records in got.values():
                for r in records:
                    if dict(r.headers).get("subject") != b"workflow.run.started":
                        continue
                    effect = orjson.loads(r.value)
                    sent = (
                        datetime.fromisoformat(effect["run"]["triggerEvent"]["occurredAt"]).timestamp() * 1000
                    )
                    latencies.append(r.timestamp - sent)
                quiet = time.monotonic() + 3
        latencies.sort()
        if not latencies:
            return float("nan"), float("nan"), 0
        return latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)], len(latencies)
    finally:
        await consumer.stop()
        await producer.stop()
        worker.stop()
        await topics.delete()


# -- timers ------------------------------------------------------------------------------------------------
async def timers(n: int, per_record: int, tmp: Path) -> dict[str, float]:
    topics = Topics()
    await topics.create()
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, linger_ms=5, max_batch_size=1024 * 1024)
    await producer.start()
    worker = WorkerProc(topics, tmp / f"data-{topics.uid}")
    try:
        # A delay long enough for every run to be waiting before the first timer comes due.
        delay_s = max(60, int(n / 4000))
        await publish(producer, topics, six_node("wf-timer", delay_s=delay_s, trigger="subscription.started"))
        now = int(time.time() * 1000)
        chunk = 50_000
        for start in range(0, n, chunk):
            envelopes = [
                {
                    "id": f"t-{i}",
                    "type": "subscription.started",
                    "tenantId": TENANT,
                    "contactId": f"tc{i}",
                    "occurredAt": iso(now),
                    "data": {"plan": "pro"},
                }
                for i in range(start, min(n, start + chunk))
            ]
            await produce_packed(producer, topics.events, envelopes, per_record)
        loaded_at = time.monotonic()
        while worker.metrics().get("workflows_events_processed_total", 0) < n:
            await asyncio.sleep(1)
        load_s = time.monotonic() - loaded_at
        m = worker.metrics()
        pending = m.get('workflows_runs_total{status="started"}', 0)
        print(
            f"  timers: {n} runs waiting after {load_s:.0f} s (delay {delay_s} s); waiting for them to fire"
        )
        worst_gauge = 0.0
        deadline = time.monotonic() + delay_s + load_s + 300
        while time.monotonic() < deadline:
            m = worker.metrics()
            worst_gauge = max(worst_gauge, m.get("workflows_timers_max_overdue_seconds", 0))
            if m.get('workflows_runs_total{status="completed"}', 0) >= n:
                break
            await asyncio.sleep(0.5)
        buckets = {
            float(k.split('le="')[1].rstrip('"}')): v
            for k, v in m.items()
            if k.startswith("workflows_timer_lateness_seconds_bucket")
        }
        total = m.get("workflows_timer_lateness_seconds_count", 0)
        p99 = next((le for le, c in sorted(buckets.items()) if c >= 0.99 * total), float("inf"))
        under_1s = buckets.get(1.0, 0) / total if total else 0
        return {
            "pending_peak": pending,
            "fired": total,
            "lateness_p99_le_s": p99,
            "fraction_under_1s": under_1s,
            "pump_oldest_due_max_s": worst_gauge,
            "rss_mib": worker.peak_rss_mib(),
        }
    finally:
        await producer.stop()
        worker.stop()
        await topics.delete()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--contacts", type=int, default=50_000)
    parser.add_argument("--per-record", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--latency-s", type=float, default=20.0)
    parser.add_argument("--timers", type=int, default=1_000_000, help="0 skips the timer test")
    args = parser.parse_args()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    print(
        f"worker bench: {args.events} events, {args.contacts} contacts, {args.per_record}/record, "
        f"median of {args.repeats}; commit {commit.stdout.strip()} (+ working tree)"
    )
    with tempfile.TemporaryDirectory(prefix="worker-bench-") as tmpdir:
        tmp = Path(tmpdir)
        base, work, rss = [], [], []
        for r in range(args.repeats):
            base.append(await baseline(args.events))
            rate, peak = await worker_throughput(args.events, args.contacts, args.per_record, tmp)
            work.append(rate)
            rss.append(peak)
            print(
                f"  run {r + 1}: baseline {base[-1]:,.0f} rec/s, worker {rate:,.0f} ev/s, peak RSS {peak:.0f} MiB"
            )
        b, w = statistics.median(base), statistics.median(work)
        print(f"baseline (raw aiokafka, 1 event/record): {b:,.0f} events/s")
        print(
            f"worker (mix, {args.per_record}/record):        {w:,.0f} events/s  ratio {w / b:.2f} (target >= 0.25)"
        )
        print(f"worker peak RSS: {statistics.median(rss):.0f} MiB")
        p50, p99, count = await latency(w / 2, args.latency_s, args.contacts, tmp)
        print(
            f"latency at {w / 2:,.0f} events/s ({count} runs started): p50 {p50:.0f} ms, p99 {p99:.0f} ms "
            "(target p99 < 250)"
        )
        if args.timers:
            result = await timers(args.timers, args.per_record, tmp)
            print(
                f"timers: {result['pending_peak']:,.0f} pending at peak, {result['fired']:,.0f} fired; "
                f"lateness p99 <= {result['lateness_p99_le_s']} s, {100 * result['fraction_under_1s']:.1f}% "
                f"under 1 s; pump oldest-due max {result['pump_oldest_due_max_s']:.2f} s; "
                f"peak RSS {result['rss_mib']:.0f} MiB"
            )


if __name__ == "__main__":
    asyncio.run(main())
