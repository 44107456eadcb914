"""A hold() that lands while the reader is assigning partitions voids what it fetches next."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any, NamedTuple

from streams.commit import CommitUnit
from streams.definitions import DefinitionFeed
from streams.host import MemoryHost
from streams.metrics import Metrics
from streams.processor import InRecord
from streams.reader import EventReader
from streams.store import MemoryPartitionStore


class _TP(NamedTuple):
    topic: str
    partition: int


class _Consumer:
    """Fetches one record of partition 0; seeking a partition without a stored position waits for ``gate``."""

    def __init__(self, gate: asyncio.Event, seeking: asyncio.Event) -> None:
        self.gate, self.seeking = gate, seeking

    def assign(self, _tps: list[Any]) -> None:
        return None

    def seek(self, _tp: Any, _offset: int) -> None:
        return None

    async def seek_to_beginning(self, _tp: Any) -> None:
        self.seeking.set()
        await self.gate.wait()

    async def getmany(self, *_tps: Any, timeout_ms: int, max_records: int | None = None) -> dict[Any, Any]:
        tp = _TP("events", 0)
        return {tp: [SimpleNamespace(offset=0, key=b"k", value=b"v", headers=[], timestamp=0)]}

    def highwater(self, _tp: Any) -> int:
        return 0

    async def position(self, _tp: Any) -> int:
        return 0


class _Commit(CommitUnit):
    """Records the units it is handed instead of processing them."""

    def __init__(self, processed: list[list[InRecord]]) -> None:
        self.lock = asyncio.Lock()
        self.processed = processed

    def position(self, partition: int) -> int | None:
        return None  # no stored position: assigning seeks to the beginning, an await

    async def run(self, records: Sequence[InRecord]) -> Any:
        self.processed.append(list(records))


def _reader(processed: list[list[InRecord]]) -> EventReader:
    host = MemoryHost(MemoryPartitionStore())
    host.owned = {0}
    return EventReader(
        "unused:9092",
        "events",
        "definitions",
        client_id="test",
        host=host,
        commit=_Commit(processed),
        feed=DefinitionFeed(),
        metrics=Metrics(),
        max_records=10,
        max_wait_ms=10,
    )


async def test_a_hold_during_assignment_voids_the_fetch() -> None:
    processed: list[list[InRecord]] = []
    gate, seeking = asyncio.Event(), asyncio.Event()
    reader = _reader(processed)
    reader._consumer = _Consumer(gate, seeking)
    reader._definitions_tp = _TP("definitions", 0)
    step = asyncio.create_task(reader._step())
    await seeking.wait()
    await reader.hold()  # the revocation: from here on no unit of the old assignment may run
    gate.set()
    await step
    assert processed == []


async def test_without_a_hold_the_fetch_is_processed() -> None:
    processed: list[list[InRecord]] = []
    gate, seeking = asyncio.Event(), asyncio.Event()
    gate.set()
    reader = _reader(processed)
    reader._consumer = _Consumer(gate, seeking)
    reader._definitions_tp = _TP("definitions", 0)
    await reader._step()
    assert [[(r.partition, r.offset) for r in unit] for unit in processed] == [[(0, 0)]]
