"""Worker benchmark on the real broker: raw aiokafka pass-through vs the streams worker.

Run: ``python bench/worker_bench.py [--events N] [--repeats R] [--timers T] [--workers 1,2]`` (Kafka from
``workflows services up``). Every run uses fresh topics and a fresh consumer group. Prints medians:

* ``baseline``: raw aiokafka consume-transform-produce, one JSON event per record (decode, re-encode,
  produce), N records;
* ``worker``: ``--workers`` ``workflows worker`` processes (one group) draining N events produced at once
  after the group has settled, packed per partition as the bridge packs them (``--per-record`` envelopes per record): 70% events that match no trigger, 20% that
  start a 6-node run (send, tag, update, condition, delay 1 h, send), 10% goal events (half of them reach
  the goal of a running run) and message opens; events/s from the worker's own counter, peak RSS;
* ``latency``: the same mix produced at half the measured worker rate for ``--latency-s`` seconds;
  p50/p99 from the trigger event's produce time (its occurredAt) to its ``workflow.run.started`` on
  workflows.out (the record timestamp the worker's producer set);
* ``timers``: T contacts each start a run that waits on a one-hour delay (T pending timers), then for
  ``--timer-s`` seconds more contacts start runs of a workflow with a 5 s delay at ``--timer-rate``/s:
  the lateness (due to applied) of those firings while the T others pend, p99 and max from the worker's
  histogram and the pump's oldest-due gauge, and the worker's peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from worker_kit import (
    BOOTSTRAP,
    PARTITIONS,
    ROOT,
    TENANT,
    Topics,
    WorkerProc,
    iso,
    mix_event,
    pack_records,
    produce_packed,
    publish,
    send_records,
    six_node,
)

from workflows.wire import out_items


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
@dataclass
class Drain:
    """One drain: events/s, peak RSS (max over the workers), each worker's CPU time over the measured wall
    time (1.0: it never waited), each worker's share of the events, and how often the partitions the
    workers own changed while measured (each change stops the world for a rebalance)."""

    rate: float
    peak_rss_mib: float
    busy: float
    shares: list[float]
    reassigned: int


async def worker_throughput(n: int, contacts: int, per_record: int, tmp: Path, workers: int = 1) -> Drain:
    """``workers`` worker processes in one group draining n events produced at once once the group has
    settled (every worker owns partitions, all of them are owned, each has loaded the workflow): events
    loaded before a second worker joins would be drained by the first alone, or handed over already done.
    Measured from the first event processed to the last."""
    topics = Topics()
    await topics.create()
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, linger_ms=5, max_batch_size=1024 * 1024)
    await producer.start()
    procs: list[WorkerProc] = []
    try:
        await publish(producer, topics, six_node("wf-six", delay_s=3600, trigger="subscription.started"))
        rng = random.Random(2)
        now = int(time.time() * 1000)
        records = pack_records(
            [mix_event(i, f"c{rng.randrange(contacts)}", now, rng) for i in range(n)], per_record
        )
        procs = [WorkerProc(topics, tmp / f"data-{topics.uid}-{i}") for i in range(workers)]
        owned = await _settled(procs)
        await send_records(producer, topics.events, records)
        start: tuple[float, list[float], list[float]] | None = None  # wall time, processed, CPU per worker
        last, stalled_at = -1.0, time.monotonic()
        reassigned = 0
        while time.monotonic() - stalled_at < 60:
            scraped = [w.metrics() for w in procs]
            done = [m.get("workflows_events_processed_total", 0.0) for m in scraped]
            now_owned = [m.get("workflows_partitions_owned", 0.0) for m in scraped]
            reassigned += now_owned != owned
            owned = now_owned
            total = float(sum(done))
            if total != last:
                last, stalled_at = total, time.monotonic()
            if start is None and total:
                start = (time.perf_counter(), done, [w.cpu_s() for w in procs])
            if total >= n:
                break
            await asyncio.sleep(_next_scrape(start, total, n))
        else:
            tail = "\n".join(procs[0].log.read_text(errors="replace").splitlines()[-20:])
            raise RuntimeError(f"worker stalled at {last} of {n} events; its log ends:\n{tail}")
        assert start is not None
        elapsed = time.perf_counter() - start[0]
        measured = [d - d0 for d, d0 in zip(done, start[1], strict=True)]
        cpu = [w.cpu_s() - c0 for w, c0 in zip(procs, start[2], strict=True)]
        return Drain(
            rate=sum(measured) / elapsed,
            peak_rss_mib=max(w.peak_rss_mib() for w in procs),
            busy=sum(cpu) / elapsed / workers,
            shares=[m / max(1.0, sum(measured)) for m in measured],
            reassigned=reassigned,
        )
    finally:
        await producer.stop()
        for w in procs:
            w.stop()
        await topics.delete()


def _next_scrape(start: tuple[float, list[float], list[float]] | None, done: float, n: int) -> float:
    """Seconds to the next scrape of a drain. Each scrape costs the workers CPU (about 1.5% of a core at ten
    a second) and the bench's own process shares their cores, so a drain is scraped twice a second, and ten
    times as often only where precision counts: before its first event (its start) and in its last half
    second (its end, predicted from the rate so far)."""
    if start is None or not done:
        return 0.1
    rate = (done - sum(start[1])) / max(1e-3, time.perf_counter() - start[0])
    left = (n - done) / rate if rate > 0 else 0.0
    return 0.5 if left > 0.75 else 0.05


async def _settled(procs: list[WorkerProc], timeout_s: float = 120.0) -> list[float]:
    """Wait until every worker owns partitions, all are owned and each has loaded a workflow, the same for
    half a second; the partitions each owns."""
    deadline = time.monotonic() + timeout_s
    steady: list[float] | None = None
    since = 0.0
    while time.monotonic() < deadline:
        scraped = [w.metrics() for w in procs]
        owned = [m.get("workflows_partitions_owned", 0.0) for m in scraped]
        ready = all(owned) and sum(owned) == PARTITIONS
        ready = ready and all(m.get("workflows_definitions_loaded", 0.0) >= 1 for m in scraped)
        if not ready or owned != steady:
            steady, since = (owned if ready else None), time.monotonic()
        elif time.monotonic() - since >= 0.5:
            return owned
        await asyncio.sleep(0.1)
    raise RuntimeError(f"the group of {len(procs)} worker(s) did not settle in {timeout_s:.0f} s")


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
                    for item in out_items(r.value, r.headers):
                        if item.subject != "workflow.run.started":
                            continue
                        effect = orjson.loads(item.value)
                        trigger = effect["run"]["triggerEvent"]
                        sent = datetime.fromisoformat(trigger["occurredAt"]).timestamp() * 1000
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
def _starts(workflow_trigger: str, first: int, count: int, now: int) -> list[dict[str, object]]:
    return [
        {
            "id": f"t-{i}",
            "type": workflow_trigger,
            "tenantId": TENANT,
            "contactId": f"tc{i}",
            "occurredAt": iso(now),
            "data": {"plan": "pro"},
        }
        for i in range(first, first + count)
    ]


async def timers(n: int, rate: int, seconds: float, per_record: int, tmp: Path) -> dict[str, float]:
    topics = Topics()
    await topics.create()
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, linger_ms=5, max_batch_size=1024 * 1024)
    await producer.start()
    worker = WorkerProc(topics, tmp / f"data-{topics.uid}")
    try:
        await publish(producer, topics, six_node("wf-hour", delay_s=3600, trigger="subscription.started"))
        await publish(producer, topics, six_node("wf-short", delay_s=5, trigger="trial.started"))
        chunk = 50_000
        started = time.monotonic()
        for first in range(0, n, chunk):
            now = int(time.time() * 1000)
            await produce_packed(
                producer,
                topics.events,
                _starts("subscription.started", first, min(chunk, n - first), now),
                per_record,
            )
        while worker.metrics().get("workflows_events_processed_total", 0) < n:
            await asyncio.sleep(1)
        waiting = worker.running()
        await asyncio.sleep(10)  # RocksDB flushes its memtables and compacts in the background
        rss_waiting, disk = worker.rss_mib(), worker.disk_bytes()
        print(
            f"  timers: {waiting:,.0f} runs wait on a 1 h delay after {time.monotonic() - started:.0f} s; "
            f"RSS {rss_waiting:.0f} MiB (peak {worker.peak_rss_mib():.0f}), data folder {disk / 2**20:.0f} MiB, "
            f"{disk / max(waiting, 1):,.0f} bytes per waiting run"
        )
        worst_gauge = 0.0
        i, owed, tick = n, 0.0, 0.1
        began = time.monotonic()
        while time.monotonic() - began < seconds + 15:  # the last starts come due 5 s after the feed ends
            if time.monotonic() - began < seconds:
                owed += rate * tick
                count = int(owed)
                owed -= count
                if count:
                    now = int(time.time() * 1000)
                    await produce_packed(
                        producer, topics.events, _starts("trial.started", i, count, now), 1000
                    )
                    i += count
            m = worker.metrics()
            worst_gauge = max(worst_gauge, m.get("workflows_timers_max_overdue_seconds", 0))
            await asyncio.sleep(tick)
        m = worker.metrics()
        buckets = {
            float(k.split('le="')[1].rstrip('"}')): v
            for k, v in m.items()
            if k.startswith("workflows_timer_lateness_seconds_bucket")
        }
        total = m.get("workflows_timer_lateness_seconds_count", 0)
        p99 = next((le for le, c in sorted(buckets.items()) if c >= 0.99 * total), float("inf"))
        return {
            "pending": waiting,
            "short_started": i - n,
            "fired": total,
            "lateness_p99_le_s": p99,
            "fraction_under_1s": buckets.get(1.0, 0) / total if total else 0.0,
            "pump_oldest_due_max_s": worst_gauge,
            "rss_mib": worker.peak_rss_mib(),
            "rss_waiting_mib": rss_waiting,
            "disk_bytes_per_run": disk / max(waiting, 1),
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
    parser.add_argument("--repeats", type=int, default=3, help="0 skips throughput and latency")
    parser.add_argument("--latency-s", type=float, default=20.0)
    parser.add_argument(
        "--timers", type=int, default=1_000_000, help="pending timers; 0 skips the timer test"
    )
    parser.add_argument("--timer-rate", type=int, default=1000, help="runs/s whose 5 s delay fires meanwhile")
    parser.add_argument("--timer-s", type=float, default=30.0)
    parser.add_argument(
        "--workers", default="1", help="worker process counts to measure, e.g. 1,2 (one group each)"
    )
    args = parser.parse_args()
    counts = [int(c) for c in args.workers.split(",")]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    print(
        f"worker bench: {args.events} events, {args.contacts} contacts, {args.per_record}/record, "
        f"median of {args.repeats}; commit {commit.stdout.strip()} (+ working tree)"
    )
    with tempfile.TemporaryDirectory(prefix="worker-bench-") as tmpdir:
        tmp = Path(tmpdir)
        base: list[float] = []
        work: dict[int, list[float]] = {c: [] for c in counts}
        rss: dict[int, list[float]] = {c: [] for c in counts}
        for r in range(args.repeats):
            base.append(await baseline(args.events))
            line = f"  run {r + 1}: baseline {base[-1]:,.0f} rec/s"
            for c in counts:
                drain = await worker_throughput(args.events, args.contacts, args.per_record, tmp, c)
                work[c].append(drain.rate)
                rss[c].append(drain.peak_rss_mib)
                shares = "/".join(f"{s:.0%}" for s in drain.shares)
                line += (
                    f", {c} worker(s) {drain.rate:,.0f} ev/s ({drain.rate / base[-1]:.2f}), "
                    f"CPU {drain.busy:.0%} of each worker's wall time, events {shares}, "
                    f"{drain.reassigned} reassignment(s), peak RSS {drain.peak_rss_mib:.0f} MiB"
                )
            print(line)
        if args.repeats:  # --repeats 0 runs the timer test alone
            b = statistics.median(base)
            print(f"baseline (raw aiokafka, 1 event/record): {b:,.0f} events/s")
            for c in counts:
                wc = statistics.median(work[c])
                ratios = [x / y for x, y in zip(work[c], base, strict=True)]
                print(
                    f"worker x{c} (mix, {args.per_record}/record): {wc:,.0f} events/s  ratio {wc / b:.2f}, "
                    f"median of per-run ratios {statistics.median(ratios):.2f} (target >= 0.5); "
                    f"peak RSS {statistics.median(rss[c]):.0f} MiB"
                )
            w = statistics.median(work[counts[0]])
            p50, p99, count = await latency(w / 2, args.latency_s, args.contacts, tmp)
            print(
                f"latency at {w / 2:,.0f} events/s ({count} runs started): p50 {p50:.0f} ms, p99 {p99:.0f} ms "
                "(target p99 < 100)"
            )
        if args.timers:
            result = await timers(args.timers, args.timer_rate, args.timer_s, args.per_record, tmp)
            print(
                f"timers: {result['pending']:,.0f} pending; {result['short_started']:,.0f} short delays started, "
                f"{result['fired']:,.0f} fired; lateness p99 <= {result['lateness_p99_le_s']} s, "
                f"{100 * result['fraction_under_1s']:.1f}% under 1 s; pump oldest-due max "
                f"{result['pump_oldest_due_max_s']:.2f} s; peak RSS {result['rss_mib']:.0f} MiB (target: overdue < 1 s)"
            )
            print(
                f"{args.timers:,} waiting runs: RSS {result['rss_waiting_mib']:.0f} MiB with the runs waiting (target < 600), "
                f"{result['disk_bytes_per_run']:,.0f} bytes per waiting run on disk (target <= 1024)"
            )


if __name__ == "__main__":
    asyncio.run(main())
