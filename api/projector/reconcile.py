"""The spec's ``workflow-stats-calculator`` (every 5 minutes): recount runs and steps, correct the counters
where they drifted (logging each correction), and refresh each workflow's cached ``stats`` column; then the
same for the analytics read models (``analytics_reconcile``).

Corrections are deltas computed inside one REPEATABLE READ snapshot (rows and counters seen together), so
increments the projector commits meanwhile are kept rather than overwritten.
"""

from __future__ import annotations

import logging
import uuid
from types import SimpleNamespace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from api import metrics
from api.projector import analytics_reconcile, repository
from api.runs.service import stats_view

log = logging.getLogger(__name__)


async def reconcile(engine: AsyncEngine) -> dict[str, int]:
    """Returns how many run-counter and node-counter rows were corrected."""
    async with engine.connect() as conn:
        if not await repository.try_reconcile_lock(conn):
            await conn.rollback()
            return {"runs": 0, "nodes": 0}
        await conn.commit()  # the session-level lock outlives this transaction
        try:
            # Read rows and counters in one snapshot so their difference is exact ...
            snapshot = await conn.execution_options(isolation_level="REPEATABLE READ")
            async with snapshot.begin():
                runs_truth = await repository.true_run_counts(snapshot)
                nodes_truth = await repository.true_node_counts(snapshot)
                run_drift = analytics_reconcile.drift(
                    runs_truth, await repository.cached_run_counts(snapshot)
                )
                node_drift = analytics_reconcile.drift(
                    nodes_truth, await repository.cached_node_counts(snapshot)
                )
            # ... then add the difference in a new transaction: increments the projector committed since
            # the snapshot stay (a REPEATABLE READ write would fail on them instead).
            writer = await conn.execution_options(isolation_level="READ COMMITTED")
            async with writer.begin():
                for workflow_id, delta in run_drift.items():
                    log.warning("stats drift corrected: workflow %s run counters %s", workflow_id, delta)
                for (workflow_id, node_id), delta in node_drift.items():
                    log.warning("stats drift corrected: workflow %s node %s %s", workflow_id, node_id, delta)
                metrics.STATS_DRIFT.inc(len(run_drift) + len(node_drift))
                await repository.add_run_counters(writer, run_drift)
                await repository.add_node_counters(writer, node_drift)
                await repository.set_cached_stats(writer, _cached_stats(runs_truth, nodes_truth))
            await analytics_reconcile.reconcile_locked(conn)  # logs its own corrections
        finally:
            await repository.release_reconcile_lock(conn)
            await conn.commit()
    return {"runs": len(run_drift), "nodes": len(node_drift)}


def _cached_stats(
    runs_truth: dict[uuid.UUID, dict[str, int]], nodes_truth: dict[tuple[uuid.UUID, str], dict[str, int]]
) -> dict[uuid.UUID, dict[str, Any]]:
    nodes_by_wf: dict[uuid.UUID, list[SimpleNamespace]] = {}
    for (workflow_id, node_id), counts in sorted(nodes_truth.items(), key=lambda kv: kv[0][1]):
        nodes_by_wf.setdefault(workflow_id, []).append(SimpleNamespace(node_id=node_id, **counts))
    return {
        wf: _camel(stats_view(wf, SimpleNamespace(**counts), nodes_by_wf.get(wf, [])))  # type: ignore[arg-type]
        for wf, counts in runs_truth.items()
    }


def _camel(view: dict[str, Any]) -> dict[str, Any]:
    from api.runs.schemas import StatsOut

    return StatsOut.model_validate(view).model_dump(mode="json", by_alias=True)
