"""The reconcile job's pass over the analytics read models: recount, correct drift by deltas, log it.

Same scheme as ``reconcile``: rows and read models are read in one REPEATABLE READ snapshot, and the
differences are added in a READ COMMITTED transaction, so increments the projector commits meanwhile stay.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Hashable, Mapping
from typing import Any, Final, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api import metrics
from api.db.models import (
    WorkflowEdgeStats,
    WorkflowRunBuckets,
    WorkflowSplitStats,
    WorkflowVersionNodeStats,
)
from api.projector import analytics_recount as recount
from api.projector import repository
from api.projector.analytics_repository import add_counts, add_goals

log = logging.getLogger(__name__)
K = TypeVar("K", bound=Hashable)
_MODELS: Final[dict[str, Any]] = {
    "nodes": WorkflowVersionNodeStats,
    "edges": WorkflowEdgeStats,
    "splits": WorkflowSplitStats,
    "buckets": WorkflowRunBuckets,
}
_LOGGED_KEYS: Final = 5  # rows named per model in the log line (a bulk load drifts everywhere)


def drift(
    truth: Mapping[K, Mapping[str, int]], cached: Mapping[K, Mapping[str, int]]
) -> dict[K, dict[str, int]]:
    """What to add to ``cached`` to make it ``truth``, per key and counter (keys and counters that agree are
    left out); the counters' reconcile uses it too."""
    out: dict[K, dict[str, int]] = {}
    for key in truth.keys() | cached.keys():
        want, have = truth.get(key, {}), cached.get(key, {})
        delta = {c: want.get(c, 0) - have.get(c, 0) for c in want.keys() | have.keys()}
        delta = {c: d for c, d in delta.items() if d}
        if delta:
            out[key] = delta
    return out


async def take_out_runs(conn: AsyncConnection, run_ids: list[uuid.UUID]) -> None:
    """Subtract what these runs count in every analytics read model (a contact's erasure, before its rows
    go), so the read models keep agreeing with a recount. A goal's last time stays until the next reconcile
    (a delta cannot lower a maximum)."""
    for name, (_query, _table, keys, columns) in recount.MODELS.items():
        counts = await recount.counts_of_runs(conn, name, run_ids)
        negative = {key: {c: -n for c, n in figures.items()} for key, figures in counts.items()}
        if not negative:
            continue
        if name == "goals":
            await add_goals(conn, {key: (d.get("reached", 0), None) for key, d in negative.items()})
        else:
            await add_counts(conn, _MODELS[name], keys, columns, negative)


async def reconcile_locked(conn: AsyncConnection) -> dict[str, int]:
    """On a connection that holds the reconcile lock: how many rows of each read model were corrected."""
    snapshot = await conn.execution_options(isolation_level="REPEATABLE READ")
    drifts: dict[str, recount.Counts] = {}
    async with snapshot.begin():
        for name in recount.MODELS:
            drifts[name] = drift(await recount.truth(snapshot, name), await recount.cached(snapshot, name))
    writer = await conn.execution_options(isolation_level="READ COMMITTED")
    async with writer.begin():
        for name, rows in drifts.items():
            if not rows:
                continue
            sample = [str(k) for k in list(rows)[:_LOGGED_KEYS]]
            log.warning(
                "analytics drift corrected: %s, %d rows (e.g. %s)", name, len(rows), ", ".join(sample)
            )
            if name == "goals":
                await add_goals(writer, {k: (d.get("reached", 0), None) for k, d in rows.items()})
            else:
                await add_counts(
                    writer, _MODELS[name], recount.MODELS[name][2], recount.MODELS[name][3], rows
                )
        await recount.set_goal_times(writer)
        metrics.STATS_DRIFT.inc(sum(len(rows) for rows in drifts.values()))
    return {name: len(rows) for name, rows in drifts.items()}


async def reconcile_analytics(engine: AsyncEngine) -> dict[str, int] | None:
    """Recount and correct the analytics read models; None when another reconcile holds the lock."""
    async with engine.connect() as conn:
        if not await repository.try_reconcile_lock(conn):
            await conn.rollback()
            return None
        await conn.commit()
        try:
            return await reconcile_locked(conn)
        finally:
            await repository.release_reconcile_lock(conn)
            await conn.commit()
