"""Bridge benchmark: NATS JetStream -> Kafka throughput for 1 KB events, beside a raw nats-py loop.

Run: ``python bench/bridge_bench.py [--messages N] [--repeats R]`` against ``workflows services up``.

One stream is filled with N envelopes of ~1 KB (10,000 contacts, 6 subjects). Each repeat then drains it
twice, each time through a fresh durable pull consumer:

* ``raw``: a bare nats-py loop, ``fetch(1000)`` then ``ack()`` every message (what reading JetStream costs
  in Python before any work);
* ``bridge``: the inbound bridge in this process (validate, pack per partition, produce acks=all with
  idempotence to a 12-partition topic, ack to NATS only after Kafka acked), timed until every message is
  acknowledged to NATS.

Prints each run, the medians, and bridge/raw. Everything it creates is deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

import nats
import orjson
from aiokafka.admin import AIOKafkaAdminClient
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bridge.config import INBOUND_SUBJECTS, BridgeSettings
from bridge.inbound import ensure_events_topic
from bridge.runner import BridgeRunner
from workflows.settings import Settings


def payloads(count: int, uid: str) -> list[tuple[str, bytes]]:
    rng = random.Random(1)
    out = []
    for i in range(count):
        subject = INBOUND_SUBJECTS[i % len(INBOUND_SUBJECTS)]
        env = {
            "id": f"{uid}-{i}",
            "type": subject,
            "tenantId": "tenant-bench",
            "contactId": f"contact-{rng.randrange(10_000):05d}",
            "occurredAt": "2025-03-01T12:00:00.000+00:00",
            "data": {"pad": ""},
        }
        env["data"] = {"pad": "x" * (1024 - len(orjson.dumps(env)))}
        out.append((f"b{uid}.{subject}", orjson.dumps(env)))
    return out


async def fill(js: JetStreamContext, items: list[tuple[str, bytes]]) -> None:
    for start in range(0, len(items), 2000):
        futures = [await js.publish_async(s, b) for s, b in items[start : start + 2000]]
        await asyncio.gather(*futures)


async def raw_loop(js: JetStreamContext, stream: str, durable: str, total: int) -> float:
    await js.add_consumer(stream, ConsumerConfig(durable_name=durable, ack_policy=AckPolicy.EXPLICIT))
    sub = await js.pull_subscribe_bind(durable=durable, stream=stream)
    seen = 0
    started = time.perf_counter()
    while seen < total:
        msgs = await sub.fetch(1000, timeout=5)
        for msg in msgs:
            await msg.ack()
        seen += len(msgs)
    await js._nc.flush()
    elapsed = time.perf_counter() - started
    await sub.unsubscribe()
    return total / elapsed


async def bridge_run(settings: Settings, bridge: BridgeSettings, total: int) -> float:
    runner = BridgeRunner(settings, bridge)
    await runner.start()
    started = time.perf_counter()
    try:
        # Polling a counter every 5 ms costs nothing measurable and keeps the bridge unmodified.
        while runner.metrics.messages_in._value.get() < total:
            await asyncio.sleep(0.005)
        elapsed = time.perf_counter() - started
    finally:
        await runner.stop()
    return total / elapsed


async def main(messages: int, repeats: int) -> None:
    logging.basicConfig(level=logging.WARNING)
    uid = uuid.uuid4().hex[:8]
    settings = Settings(nats_stream=f"BENCH_{uid}", events_topic=f"bench{uid}.events", events_partitions=12)
    nc = await nats.connect(settings.nats_url)
    js = nc.jetstream()
    stream = settings.nats_stream
    await js.add_stream(name=stream, subjects=[f"b{uid}.{s}" for s in INBOUND_SUBJECTS])
    raw_rates: list[float] = []
    bridge_rates: list[float] = []
    try:
        t0 = time.perf_counter()
        await fill(js, payloads(messages, uid))
        print(f"filled {stream} with {messages} x 1 KB in {time.perf_counter() - t0:.1f}s")
        # Create the topic up front: leader election of a new topic is not the bridge's throughput.
        await ensure_events_topic(settings, BridgeSettings())
        await asyncio.sleep(2)
        for i in range(repeats):
            raw_rates.append(await raw_loop(js, stream, f"raw{i}", messages))
            bridge = BridgeSettings(
                directions="inbound",
                subject_prefix=f"b{uid}.",
                inbound_durable=f"bridge{i}",
                dlq_stream=f"BENCH_DLQ_{uid}",
                http_port=0,
            )
            bridge_rates.append(await bridge_run(settings, bridge, messages))
            print(f"run {i + 1}: raw {raw_rates[-1]:>9,.0f} msg/s   bridge {bridge_rates[-1]:>9,.0f} msg/s")
    finally:
        for name in (stream, f"BENCH_DLQ_{uid}"):
            try:
                await js.delete_stream(name)
            except Exception as exc:
                print(f"could not delete stream {name}: {exc}")
        await nc.close()
        admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
        await admin.start()
        try:
            if settings.events_topic in await admin.list_topics():
                await admin.delete_topics([settings.events_topic])
        finally:
            await admin.close()
    raw, brg = statistics.median(raw_rates), statistics.median(bridge_rates)
    print(f"median of {repeats}: raw {raw:,.0f} msg/s, bridge {brg:,.0f} msg/s, bridge/raw {brg / raw:.0%}")
    print(
        f"targets: >= 50% of raw ({'met' if brg >= raw / 2 else 'MISSED'}), "
        f">= 20,000 msg/s ({'met' if brg >= 20_000 else 'MISSED'})"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.repeats))
