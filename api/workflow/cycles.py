"""Sub-workflow cycles: a workflow whose run_workflow nodes would, through the tenant's active workflows,
start itself again is refused when it becomes active (activation, or a new version of an active workflow)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import Workflow
from api.errors import ConflictError

__all__ = ["refuse_subworkflow_cycle", "run_workflow_targets"]


def run_workflow_targets(nodes: Any) -> list[tuple[int, str]]:
    """(node index, workflow id) of the run_workflow nodes in ``nodes``."""
    found = []
    for i, node in enumerate(nodes if isinstance(nodes, list) else []):
        data = node.get("data") if isinstance(node, dict) else None
        if node.get("type") == "run_workflow" and isinstance(data, dict):
            child = data.get("workflowId")
            if isinstance(child, str):
                found.append((i, child))
    return found


async def refuse_subworkflow_cycle(session: AsyncSession, *, workflow: Workflow, nodes: Any) -> None:
    """A cycle through run_workflow (a starts b starts a) among the tenant's active workflows plus this
    one is refused (409 ``subworkflow_cycle``): each run would start the next until the engine's depth cap
    fails it. Only active workflows count: a run_workflow to any other fails at run time, and activating
    that one later is checked then."""
    mine = run_workflow_targets(nodes)
    if not mine:
        return
    query = select(Workflow.id, Workflow.nodes).where(
        Workflow.tenant_id == workflow.tenant_id,
        Workflow.status == "active",
        Workflow.deleted_at.is_(None),
        Workflow.id != workflow.id,
    )
    rows = await session.execute(query)
    graph = {str(row.id): [c for _, c in run_workflow_targets(row.nodes)] for row in rows}
    me = str(workflow.id)
    graph[me] = [c for _, c in mine]
    for index, first in mine:
        # Depth-first from each child: a path back to this workflow is the cycle to name.
        stack, seen = [[me, first]], {first}
        while stack:
            path = stack.pop()
            if path[-1] == me:
                raise ConflictError(
                    "run_workflow would start workflows in a cycle: " + " -> ".join(path),
                    code="subworkflow_cycle",
                    details={
                        "cycle": path,
                        "nodeId": nodes[index].get("id"),
                        "path": f"$.nodes[{index}].data.workflowId",
                    },
                )
            for nxt in graph.get(path[-1], []):
                if nxt == me or nxt not in seen:
                    seen.add(nxt)
                    stack.append([*path, nxt])
