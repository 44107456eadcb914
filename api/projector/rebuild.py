"""`workflows projections rebuild`: drop the read models and project ``workflows.out`` again from the start.

A fresh consumer group reads the topic to its end; the live projector keeps its own offsets and may apply the
same records concurrently, which changes nothing (projection is idempotent by row state, see plan.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.config import ApiSettings
from api.projector.consumer import Projector
from api.projector.reconcile import reconcile
from workflows.settings import Settings

READ_MODELS = (
    "workflow_schedules",
    "workflow_run_steps",
    "workflow_runs",
    "workflow_run_counters",
    "workflow_node_counters",
    "workflow_enrolment_skips",
    "workflow_version_node_stats",
    "workflow_edge_stats",
    "workflow_split_stats",
    "workflow_goal_stats",
    "workflow_run_buckets",
)


@dataclass(frozen=True, slots=True)
class RebuildSummary:
    records: int
    rows: dict[str, int]
    drift: dict[str, int]


async def rebuild(
    settings: Settings,
    engine: AsyncEngine,
    *,
    options: ApiSettings | None = None,
    truncate: bool = True,
    progress: Callable[[int], None] | None = None,
    max_idle_polls: int = 20,
) -> RebuildSummary:
    if truncate:
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {', '.join(READ_MODELS)}"))
    group = f"{(options or ApiSettings()).projector_group_id}-rebuild-{uuid.uuid4().hex[:8]}"
    projector = Projector(settings, options or ApiSettings(), engine=engine, group_id=group)
    await projector.start()
    records = idle = 0
    try:
        # Polls that return nothing before the group has its assignment are expected; give up only when the
        # topic stays silent for `max_idle_polls` in a row without being caught up (it does not exist).
        while not await projector.caught_up():
            consumed = await projector.step(timeout_ms=500)
            records += consumed
            idle = 0 if consumed else idle + 1
            if idle >= max_idle_polls:
                break
            if progress is not None:
                progress(records)
    finally:
        await projector.stop()
    drift = await reconcile(engine)  # refreshes the cached stats column from the rebuilt counters
    async with engine.connect() as conn:
        rows = {t: int(await conn.scalar(text(f"SELECT count(*) FROM {t}")) or 0) for t in READ_MODELS}  # noqa: S608
    return RebuildSummary(records=records, rows=rows, drift=drift)
