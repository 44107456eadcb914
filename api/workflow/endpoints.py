"""HTTP routes of /api/v1/workflows: authoring, status, versions, validation, simulation."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request, status

from api.auth import CurrentPrincipal
from api.config import ApiSettings
from api.db.session import DbSession
from api.kit.cursor import Cursor
from api.kit.schemas import Envelope, Page, error_responses
from api.workflow import service, simulation
from api.workflow.schemas import (
    DuplicateIn,
    ProblemOut,
    SimulateIn,
    SimulateOut,
    ValidationOut,
    VersionOut,
    WorkflowCreate,
    WorkflowOut,
    WorkflowStatus,
    WorkflowSummary,
    WorkflowUpdate,
)
from workflows.settings import Settings

router = APIRouter(prefix="/api/v1/workflows", tags=["workflows"])
VersionNumber = Annotated[int, Path(ge=1, le=2_147_483_647, description="version number")]
_ERRORS = error_responses(400, 401, 404, 409, 422)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a workflow (draft, version 1)",
    responses=error_responses(401, 422),
)
async def create_workflow(
    body: WorkflowCreate, principal: CurrentPrincipal, session: DbSession
) -> Envelope[WorkflowOut]:
    workflow = await service.create(session, principal=principal, body=body)
    return Envelope(data=WorkflowOut.model_validate(workflow))


@router.get("", summary="List workflows, newest first", responses=error_responses(400, 401, 422))
async def list_workflows(
    principal: CurrentPrincipal,
    session: DbSession,
    status: WorkflowStatus | None = None,
    trigger_type: Annotated[str | None, Query(alias="triggerType", max_length=50)] = None,
    q: Annotated[str | None, Query(max_length=255, description="name contains (case-insensitive)")] = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Envelope[Page[WorkflowSummary]]:
    rows, next_cursor = await service.list_page(
        session,
        principal=principal,
        status=status,
        trigger_type=trigger_type,
        search=q,
        cursor=cursor,
        limit=limit,
    )
    items = [WorkflowSummary.model_validate(r) for r in await service.summaries(session, rows)]
    return Envelope(data=Page(items=items, next_cursor=next_cursor))


@router.post(
    "/validate",
    summary="Validate a definition with the engine: every problem at once",
    responses=error_responses(401, 422),
)
async def validate_workflow(
    principal: CurrentPrincipal,
    request: Request,
    definition: Annotated[
        dict[str, Any],
        Body(examples=[{"trigger": {"type": "event", "event": "contact.created"}, "nodes": [], "edges": []}]),
    ],
) -> Envelope[ValidationOut]:
    subscribed = service.subscribed_types(_settings(request))
    problems = service.problems_of(definition, tenant_id=principal.tenant_id, subscribed=subscribed)
    out = [ProblemOut.model_validate(p.to_dict()) for p in problems]
    return Envelope(data=ValidationOut(valid=not service.blocking(problems), problems=out))


@router.get("/{workflow_id:uuid}", summary="Get a workflow", responses=_ERRORS)
async def get_workflow(
    workflow_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> Envelope[WorkflowOut]:
    workflow = await service.get_live(session, principal=principal, workflow_id=workflow_id)
    return Envelope(data=WorkflowOut.model_validate(workflow))


@router.patch(
    "/{workflow_id:uuid}",
    summary="Update a workflow (a definition change creates a version)",
    responses=_ERRORS,
)
async def update_workflow(
    workflow_id: uuid.UUID,
    body: WorkflowUpdate,
    principal: CurrentPrincipal,
    session: DbSession,
    request: Request,
) -> Envelope[WorkflowOut]:
    workflow = await service.update(
        session, _settings(request), principal=principal, workflow_id=workflow_id, body=body
    )
    return Envelope(data=WorkflowOut.model_validate(workflow))


@router.delete(
    "/{workflow_id:uuid}",
    summary="Delete (archive) a draft or paused workflow, or an active one with cancelRuns=true",
    description=(
        "An archived workflow starts no runs and is gone from authoring; its runs, run detail and stats stay "
        "readable. Archiving an active workflow is a 409 unless `cancelRuns=true`, which also asks the "
        "workers to cancel each of its running runs (as a single-run cancel does)."
    ),
    responses=_ERRORS,
)
async def delete_workflow(
    workflow_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: DbSession,
    request: Request,
    cancel_runs: Annotated[
        bool, Query(alias="cancelRuns", description="archive an active workflow and cancel its running runs")
    ] = False,
) -> Envelope[WorkflowOut]:
    workflow = await service.transition(
        session,
        _settings(request),
        principal=principal,
        workflow_id=workflow_id,
        action="delete",
        cancel_runs=cancel_runs,
    )
    return Envelope(data=WorkflowOut.model_validate(workflow))


@router.post("/{workflow_id:uuid}/activate", summary="Activate a draft or paused workflow", responses=_ERRORS)
async def activate_workflow(
    workflow_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession, request: Request
) -> Envelope[WorkflowOut]:
    workflow = await service.transition(
        session, _settings(request), principal=principal, workflow_id=workflow_id, action="activate"
    )
    return Envelope(data=WorkflowOut.model_validate(workflow))


@router.post(
    "/{workflow_id:uuid}/pause", summary="Pause an active workflow (runs in flight go on)", responses=_ERRORS
)
async def pause_workflow(
    workflow_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession, request: Request
) -> Envelope[WorkflowOut]:
    workflow = await service.transition(
        session, _settings(request), principal=principal, workflow_id=workflow_id, action="pause"
    )
    return Envelope(data=WorkflowOut.model_validate(workflow))


@router.post(
    "/{workflow_id:uuid}/duplicate",
    status_code=status.HTTP_201_CREATED,
    summary="Duplicate a workflow: a new draft (version 1) with its current definition",
    responses=_ERRORS,
)
async def duplicate_workflow(
    workflow_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: DbSession,
    body: Annotated[DuplicateIn | None, Body()] = None,
) -> Envelope[WorkflowOut]:
    workflow = await service.duplicate(
        session, principal=principal, workflow_id=workflow_id, name=body.name if body else None
    )
    return Envelope(data=WorkflowOut.model_validate(workflow))


@router.get("/{workflow_id:uuid}/versions", summary="Versions of a workflow, newest first", responses=_ERRORS)
async def list_versions(
    workflow_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> Envelope[list[VersionOut]]:
    rows = await service.versions(session, principal=principal, workflow_id=workflow_id)
    return Envelope(data=[VersionOut.model_validate(r) for r in rows])


@router.post(
    "/{workflow_id:uuid}/versions/{version}/revert",
    summary="Revert: a new version with the content of an old one",
    responses=_ERRORS,
)
async def revert_version(
    workflow_id: uuid.UUID,
    version: VersionNumber,
    principal: CurrentPrincipal,
    session: DbSession,
    request: Request,
) -> Envelope[WorkflowOut]:
    workflow = await service.revert(
        session, _settings(request), principal=principal, workflow_id=workflow_id, number=version
    )
    return Envelope(data=WorkflowOut.model_validate(workflow))


@router.post(
    "/{workflow_id:uuid}/simulate",
    summary="Simulate a version on a sample contact and events (virtual clock, no side effects)",
    responses=_ERRORS,
)
async def simulate_workflow(
    workflow_id: uuid.UUID,
    body: SimulateIn,
    principal: CurrentPrincipal,
    session: DbSession,
    request: Request,
) -> Envelope[SimulateOut]:
    options: ApiSettings = request.app.state.api_settings
    slots: asyncio.Semaphore | None = getattr(request.app.state, "simulation_slots", None)
    if slots is None:  # one per app, made on first use (the loop is single-threaded: no race)
        slots = request.app.state.simulation_slots = asyncio.Semaphore(options.simulate_concurrency)
    result = await simulation.run(
        session, principal=principal, workflow_id=workflow_id, body=body, options=options, slots=slots
    )
    return Envelope(data=SimulateOut.model_validate(result))
