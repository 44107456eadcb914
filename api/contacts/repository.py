"""All SQL of contact erasure: delete a tenant's contact's runs, steps and schedules, and take what they
counted out of the stats counters and the analytics read models, so both agree with the rows (the reconcile
job finds no drift).

Shared by the API (the DELETE request) and the projector (on ``workflow.contact.erased``, since events of the
contact's cancelled runs may re-create rows after the API deleted them). The counter deltas are computed in
SQL with the same expressions as the reconcile job's recount (``api/projector/repository.py``).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from api.projector import repository as counters
from api.projector.analytics_reconcile import take_out_runs

_NODE_BUCKET = {
    "completed": "succeeded",
    "failed": "failed",
    "pending": "waiting",
    "running": "waiting",
    "skipped": "skipped",
}


@dataclass(frozen=True, slots=True)
class Erased:
    runs: int
    steps: int


async def erase(conn: AsyncConnection, *, tenant_id: str, contact_id: str) -> Erased:
    runs = await conn.execute(
        text("SELECT id FROM workflow_runs WHERE tenant_id = :t AND contact_id = :c ORDER BY id FOR UPDATE"),
        {"t": tenant_id, "c": contact_id},
    )
    ids: list[uuid.UUID] = [r.id for r in runs]
    if not ids:
        return Erased(0, 0)
    await take_out_runs(conn, ids)  # from the rows about to go: the analytics read models agree with them
    await conn.execute(text("DELETE FROM workflow_schedules WHERE run_id = ANY(:ids)"), {"ids": ids})
    steps = await conn.execute(
        text(
            "DELETE FROM workflow_run_steps s USING workflow_runs r WHERE r.id = s.run_id "
            "AND s.run_id = ANY(:ids) RETURNING r.workflow_id, s.node_id, s.status"
        ),
        {"ids": ids},
    )
    node_deltas: dict[tuple[uuid.UUID, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    step_count = 0
    for workflow_id, node_id, status in steps:
        step_count += 1
        delta = node_deltas[(workflow_id, node_id)]
        delta["executed"] -= 1
        if status in _NODE_BUCKET:
            delta[_NODE_BUCKET[status]] -= 1
    deleted = await conn.execute(
        text(
            "DELETE FROM workflow_runs WHERE id = ANY(:ids) RETURNING workflow_id, status::text AS status, "
            "CASE WHEN status <> 'running' AND completed_at IS NOT NULL "
            "  THEN round(extract(epoch FROM completed_at - started_at) * 1000)::bigint END AS duration_ms"
        ),
        {"ids": ids},
    )
    run_deltas: dict[uuid.UUID, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    run_count = 0
    for workflow_id, status, duration_ms in deleted:
        run_count += 1
        delta = run_deltas[workflow_id]
        delta["total"] -= 1
        delta[status] -= 1
        if duration_ms is not None:
            delta["finished"] -= 1
            delta["duration_ms_sum"] -= int(duration_ms)
    await counters.add_run_counters(conn, run_deltas)
    await counters.add_node_counters(conn, node_deltas)
    return Erased(run_count, step_count)
