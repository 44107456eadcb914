"""HTTP routes for runs, stats and run commands under /api/v1/workflows/{id}."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Header, Query, Request, status

from api.auth import CurrentPrincipal
from api.db.session import DbSession
from api.kit.cursor import Cursor
from api.kit.schemas import Envelope, Page, Timestamp, error_responses
from api.kit.text import CONTACT_ID_PATTERN
from api.runs import bulk, service
from api.runs.schemas import (
    BulkCancelIn,
    BulkCancelOut,
    CancelIn,
    CancelOut,
    RunDetailOut,
    RunOut,
    RunStatus,
    StatsOut,
    StepOut,
    TriggerIn,
    TriggerOut,
    WaitingOut,
)
from api.workflow import service as workflows
from workflows.settings import Settings

router = APIRouter(prefix="/api/v1/workflows", tags=["runs"])
_ERRORS = error_responses(400, 401, 404, 409, 422)
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="retries with the same key start at most one run (the event id derives from it)",
    ),
]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.get("/{workflow_id:uuid}/stats", summary="Run and node statistics of a workflow", responses=_ERRORS)
async def workflow_stats(
    workflow_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> Envelope[StatsOut]:
    data = await service.stats(session, principal=principal, workflow_id=workflow_id)
    return Envelope(data=StatsOut.model_validate(data))


@router.get(
    "/{workflow_id:uuid}/waiting",
    summary="How many running runs wait at each node now, per version",
    description=(
        "One item per (version, node) with running runs whose current node it is: a delay, a wait until, "
        "an HTTP call in flight. Publishing a version leaves these runs on the version they started on."
    ),
    responses=_ERRORS,
)
async def waiting_runs(
    workflow_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: DbSession,
    version: Annotated[int | None, Query(ge=1, le=2_147_483_647, description="only this version")] = None,
) -> Envelope[list[WaitingOut]]:
    rows = await service.waiting(session, principal=principal, workflow_id=workflow_id, version=version)
    return Envelope(data=[WaitingOut.model_validate(r) for r in rows])


@router.get("/{workflow_id:uuid}/runs", summary="Runs of a workflow, newest first", responses=_ERRORS)
async def list_runs(
    workflow_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: DbSession,
    status: RunStatus | None = None,
    contact_id: Annotated[
        str | None, Query(alias="contactId", min_length=1, max_length=100, pattern=CONTACT_ID_PATTERN)
    ] = None,
    started_after: Annotated[Timestamp | None, Query(alias="startedAfter")] = None,
    started_before: Annotated[Timestamp | None, Query(alias="startedBefore")] = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Envelope[Page[RunOut]]:
    rows, next_cursor = await service.list_page(
        session,
        principal=principal,
        workflow_id=workflow_id,
        status=status,
        contact_id=contact_id,
        started_after=started_after,
        started_before=started_before,
        cursor=cursor,
        limit=limit,
    )
    return Envelope(data=Page(items=[RunOut.model_validate(r) for r in rows], next_cursor=next_cursor))


@router.get("/{workflow_id:uuid}/runs/{run_id:uuid}", summary="A run with its steps", responses=_ERRORS)
async def get_run(
    workflow_id: uuid.UUID, run_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession
) -> Envelope[RunDetailOut]:
    found = await service.detail(session, principal=principal, workflow_id=workflow_id, run_id=run_id)
    run = RunOut.model_validate(found["run"])
    out = RunDetailOut(
        **run.model_dump(),
        steps=[StepOut.model_validate(s) for s in found["steps"]],
        resumes_at=found["resumes_at"],
        waiting_for=found["waiting_for"],
    )
    return Envelope(data=out)


@router.post(
    "/{workflow_id:uuid}/runs/cancel",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Ask the workers to cancel every running run that matches the filters",
    responses=_ERRORS,
)
async def cancel_runs(
    workflow_id: uuid.UUID,
    body: BulkCancelIn,
    principal: CurrentPrincipal,
    session: DbSession,
    request: Request,
) -> Envelope[BulkCancelOut]:
    workflow = await workflows.get(session, principal=principal, workflow_id=workflow_id)
    count, more = await bulk.cancel_running(
        session,
        _settings(request),
        tenant_id=principal.tenant_id,
        workflow_id=workflow.id,
        only=bulk.RunFilter(
            contact_id=body.contact_id,
            started_before=body.started_before,
            current_node_id=body.current_node_id,
            version=body.version,
        ),
        reason=body.reason or "cancelled by user",
        limit=body.limit,
    )
    return Envelope(data=BulkCancelOut(cancel_requested=count, more=more))


@router.post(
    "/{workflow_id:uuid}/runs/{run_id:uuid}/cancel",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Ask the workers to cancel a running run",
    responses=_ERRORS,
)
async def cancel_run(
    workflow_id: uuid.UUID,
    run_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: DbSession,
    request: Request,
    body: Annotated[CancelIn | None, Body()] = None,
) -> Envelope[CancelOut]:
    result = await service.cancel(
        session,
        _settings(request),
        principal=principal,
        workflow_id=workflow_id,
        run_id=run_id,
        reason=body.reason if body else None,
    )
    return Envelope(data=CancelOut.model_validate(result))


@router.post(
    "/{workflow_id:uuid}/trigger",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Start a run of an active workflow for one contact",
    responses=_ERRORS,
)
async def trigger_workflow(
    workflow_id: uuid.UUID,
    body: TriggerIn,
    principal: CurrentPrincipal,
    session: DbSession,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Envelope[TriggerOut]:
    result = await service.trigger(
        session,
        _settings(request),
        principal=principal,
        workflow_id=workflow_id,
        contact_id=body.contact_id,
        data=body.data,
        idempotency_key=idempotency_key,
    )
    return Envelope(data=TriggerOut.model_validate(result))
