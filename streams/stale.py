"""The stale-run detector (the spec's ``workflow-stale-run-detector``).

A periodic scan of the worker's own partitions finds runs that are ``running`` but wait on nothing, or
whose wait is long overdue, and produces a ``workflow.run.stale_detected`` event for each into the contact's
partition. The engine (``streams.engine.stale``) re-checks the run when it applies that event (it may have
resumed meanwhile) and only then fails it with the reason and emits ``workflow.run.failed``: a run that
legitimately waits is never touched. The same scan counts active runs and pending timers for the metrics.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from streams.engine.event_types import RUN_STALE_DETECTED
from streams.engine.stale import stale_reason
from streams.keys import STATE_PREFIX, TIMER_PREFIX, prefix_end
from streams.sink import OutRecord
from streams.statecodec import StateFormatError, decode_state
from streams.store import PartitionStore
from streams.timers import pack
from workflows.wire import envelope

_PAGE = 2_000  # keys read between yields to the event loop
log = logging.getLogger(__name__)


@dataclass(slots=True)
class StaleScan:
    records: list[OutRecord] = field(default_factory=list)
    stale: int = 0
    running: dict[str, int] = field(default_factory=lambda: {"timer": 0, "action": 0, "nothing": 0})
    timers: int = 0


async def pages(
    store: PartitionStore, partition: int, start: bytes, end: bytes, alive: Callable[[], bool]
) -> AsyncIterator[list[tuple[bytes, bytes]]]:
    """Read a key range in pages, yielding to the loop between pages; stops when the partition goes."""
    while alive():
        page = []
        for item in store.scan(partition, start, end):
            page.append(item)
            if len(page) >= _PAGE:
                break
        if not page:
            return
        yield page
        if len(page) < _PAGE:
            return
        start = page[-1][0] + b"\x00"
        await asyncio.sleep(0)


async def scan_stale(
    store: PartitionStore,
    partitions: Iterable[int],
    *,
    events_topic: str,
    now: int,
    overdue_ms: int,
    owned: Callable[[int], bool],
    per_record: int = 500,
) -> StaleScan:
    out = StaleScan()
    for partition in sorted(partitions):

        def alive(p: int = partition) -> bool:
            return owned(p)

        envelopes: list[dict[str, Any]] = []
        async for page in pages(store, partition, STATE_PREFIX, prefix_end(STATE_PREFIX), alive):
            for key, value in page:
                try:
                    state = decode_state(value)
                except StateFormatError as exc:  # one bad record never stops the scan of the others
                    log.warning(
                        "unreadable state skipped by the stale scan",
                        extra={"key": key[:200], "error": str(exc)},
                    )
                    continue
                for run in state.runs.values():
                    if run.status != "running":
                        continue
                    waiting = "action" if run.wait_action_key else "timer" if run.wait_timer_id else "nothing"
                    out.running[waiting] += 1
                    reason = stale_reason(run, now, overdue_ms)
                    if reason is None:
                        continue
                    out.stale += 1
                    envelopes.append(
                        envelope(
                            RUN_STALE_DETECTED,
                            # One detection per wait: a later detection of the same wait is the same event.
                            event_id=f"stale:{run.run_id}:{run.wait_timer_id or run.current_node_id}",
                            tenant_id=state.tenant_id,
                            contact_id=state.contact_id,
                            occurred_at_ms=now,
                            data={"runId": run.run_id, "reason": reason, "overdueMs": overdue_ms},
                        )
                    )
        async for page in pages(store, partition, TIMER_PREFIX, prefix_end(TIMER_PREFIX), alive):
            out.timers += len(page)
        out.records.extend(pack(events_topic, partition, envelopes, per_record))
    return out
