"""The sub-workflows a simulation may start: the tenant's active workflows that the simulated version's
run_workflow nodes name, and theirs in turn, as deep as the engine lets runs nest.

Bounded twice: by depth (the engine's cap, past which the node fails anyway) and by count, so a tenant's
large graph of sub-workflows never loads more than ``MAX_SIMULATED_SUBWORKFLOWS`` definitions per request.
A named workflow that is not active, or past the count, is left out: its node fails in the simulation with
"not active", as it would for a live run.
"""

from __future__ import annotations

import uuid
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Workflow
from api.workflow.cycles import run_workflow_targets
from streams.engine.nodes.subworkflow import MAX_SUBWORKFLOW_DEPTH

__all__ = ["MAX_SIMULATED_SUBWORKFLOWS", "active_subworkflows"]

MAX_SIMULATED_SUBWORKFLOWS: Final = 20


def _ids(values: set[str]) -> list[uuid.UUID]:
    out = []
    for value in sorted(values):
        try:
            out.append(uuid.UUID(value))
        except ValueError:
            continue  # not a workflow id: the node fails as "not active"
    return out


async def active_subworkflows(
    session: AsyncSession, *, tenant_id: str, workflow_id: str, nodes: Any
) -> list[dict[str, Any]]:
    """Definitions (as the engine compiles them) of the active workflows reachable through run_workflow."""
    found: dict[str, dict[str, Any]] = {}
    wanted = {target for _, target in run_workflow_targets(nodes)} - {workflow_id}
    for _ in range(MAX_SUBWORKFLOW_DEPTH):
        ids = _ids({w for w in wanted if w not in found})
        room = MAX_SIMULATED_SUBWORKFLOWS - len(found)
        if not ids or room <= 0:
            break
        query = (
            select(Workflow)
            .where(
                Workflow.tenant_id == tenant_id,
                Workflow.status == "active",
                Workflow.deleted_at.is_(None),
                Workflow.id.in_(ids),
            )
            .order_by(Workflow.id)
            .limit(room)
        )
        rows = (await session.execute(query)).scalars().all()
        wanted = set()
        for row in rows:
            found[str(row.id)] = {
                "id": str(row.id),
                "tenantId": row.tenant_id,
                "version": row.version,
                "status": "active",
                "name": row.name,
                "trigger": row.trigger,
                "nodes": row.nodes,
                "edges": row.edges,
                "goals": row.goals,
                "settings": row.settings,
            }
            wanted |= {target for _, target in run_workflow_targets(row.nodes)} - {workflow_id}
    return list(found.values())
