"""CPU of the worker's commit unit per event on the memory twins: no broker, the same processor, engine,
state codec, run log and commit steps as ``workflows worker``, on the worker bench's event mix.

Run: ``python bench/unit_bench.py [--events N] [--repeats R]``. Prints the median of R runs of microseconds
of this process's CPU per event, beside the same loop's floor measured in the run: decoding each record
and encoding each of its events again (what any consumer of the packed records pays). The run log lines
are formatted as the worker formats them and written to a null stream. Use it to compare a change with
its parent on a noisy machine: it measures CPU time, not wall time.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import random
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from worker_kit import PARTITIONS, mix_event, pack_records, six_node

from streams.commit import CommitUnit
from streams.definitions import DefinitionFeed
from streams.metrics import Metrics
from streams.processor import Processor
from streams.reader import InRecord
from streams.runlog import RunLog
from streams.sink import MemorySink, OutRecord
from streams.store import MemoryPartitionStore
from workflows.logs import JsonFormatter
from workflows.wire import active_key, definition_key


def _records(events: int, contacts: int, per_record: int) -> list[InRecord]:
    rng = random.Random(2)
    now = int(time.time() * 1000)
    packed = pack_records(
        [mix_event(i, f"c{rng.randrange(contacts)}", now, rng) for i in range(events)], per_record
    )
    return [InRecord(p, i, key, value, [], now) for i, (p, key, value) in enumerate(packed)]


class _DroppingSink(MemorySink):
    """Acknowledges and drops (a broker keeps the records, not the worker)."""

    async def send_all(self, records: Sequence[OutRecord]) -> dict[tuple[str, int], int]:
        last: dict[tuple[str, int], int] = {}
        for record in records:
            tp = (record.topic, record.partition)
            last[tp] = self._offsets[tp] = self._offsets.get(tp, -1) + 1
        return last


def _unit() -> CommitUnit:
    feed = DefinitionFeed()
    workflow = six_node("wf-six", delay_s=3600, trigger="subscription.started")
    feed.apply(definition_key("wf-six", 1), orjson.dumps(workflow))
    pointer = {"workflowId": "wf-six", "tenantId": workflow["tenantId"], "version": 1, "status": "active"}
    feed.apply(active_key("wf-six"), orjson.dumps(pointer))
    store = MemoryPartitionStore()
    processor = Processor(
        store,
        feed.index,
        source_topic="bench.events",
        out_topic="bench.out",
        dlq_topic="bench.dlq",
        partitions=PARTITIONS,
        out_partitions=PARTITIONS,
    )
    sink = _DroppingSink(PARTITIONS)
    return CommitUnit(
        sink,
        store,
        processor,
        changelog_topic="bench.changelog",
        metrics=Metrics(),
        run_log=RunLog(),
    )


async def _drain(records: list[InRecord], fetch: int) -> float:
    unit = _unit()
    started = time.process_time()
    for i in range(0, len(records), fetch):
        await unit.run(records[i : i + fetch])
    return time.process_time() - started


def _floor(records: list[InRecord]) -> float:
    started = time.process_time()
    for r in records:
        for e in orjson.loads(r.value or b"[]"):
            orjson.dumps(e)
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--contacts", type=int, default=25_000)
    parser.add_argument("--per-record", type=int, default=500)
    parser.add_argument("--fetch", type=int, default=8, help="records per unit")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115  (formatted as the worker does)
    handler.setFormatter(JsonFormatter())
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    records = _records(args.events, args.contacts, args.per_record)
    gc.freeze()  # as streams.main does before the worker starts
    gc.set_threshold(50_000, 50, 100)
    units, floors = [], []
    for _ in range(args.repeats):
        floors.append(_floor(records) / args.events * 1e6)
        units.append(asyncio.run(_drain(records, args.fetch)) / args.events * 1e6)
    unit, floor = statistics.median(units), statistics.median(floors)
    print(
        f"commit unit on the memory twins: {unit:.1f} us CPU per event (median of {args.repeats}, "
        f"min {min(units):.1f}, max {max(units):.1f}); floor (decode + re-encode each event) {floor:.2f} us; "
        f"ratio {floor / unit:.3f}"
    )


if __name__ == "__main__":
    main()
