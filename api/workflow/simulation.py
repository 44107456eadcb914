"""Dry runs: the engine's ``simulate`` on a stored version, a sample contact and events, virtual clock."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.errors import NotFoundError, UnprocessableError
from api.workflow import repository, service
from api.workflow.schemas import SimulateIn
from streams.engine import DefinitionError, EngineError, compile_definition, simulate


async def run(
    session: AsyncSession, *, principal: Principal, workflow_id: uuid.UUID, body: SimulateIn
) -> dict[str, Any]:
    workflow = await service.get(session, principal=principal, workflow_id=workflow_id)
    number = body.version or workflow.version
    version = await repository.version(session, workflow_id=workflow.id, number=number)
    if version is None:
        raise NotFoundError(f"workflow {workflow_id} has no version {number}")
    raw = {
        "id": str(workflow.id),
        "tenantId": workflow.tenant_id,
        "version": version.version,
        "status": "active",
        "name": workflow.name,
        "trigger": version.trigger,
        "nodes": version.nodes,
        "edges": version.edges,
        "goals": version.goals,
        "settings": version.settings,
    }
    start = body.start or datetime.now(UTC)
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    events = [e.model_dump(by_alias=True, exclude_none=True) for e in body.events]
    try:
        definition = compile_definition(raw)
        result = simulate(
            definition,
            body.contact,
            events,
            int(start.timestamp() * 1000),
            auto_complete_actions=body.auto_complete_actions,
        )
    except DefinitionError as exc:
        raise UnprocessableError(
            "the stored version does not compile", details=[p.to_dict() for p in exc.problems]
        ) from exc
    except (EngineError, ValueError, TypeError, KeyError, OverflowError) as exc:
        # The sample contact and events are caller input: a bad one is a 422 with the engine's reason.
        raise UnprocessableError(
            f"the sample contact or events are invalid: {exc}",
            details=[{"path": "$", "code": "invalid_simulation_input", "message": str(exc)}],
        ) from exc
    out = result.to_dict()
    out.pop("state", None)  # internal worker state; path, effects and runs are what a builder shows
    return out
