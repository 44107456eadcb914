"""POST /api/v1/hooks/{token}: authenticated by the workflow's secret token, not by a JWT (the caller is
an external system). An unknown token is a 404, so tokens cannot be probed for existence by status code."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, status

from api.db.session import DbSession
from api.errors import ConflictError, NotFoundError
from api.kit.schemas import Envelope, error_responses
from api.runs import service as runs
from api.runs.endpoints import IdempotencyKey
from api.runs.schemas import TriggerIn, TriggerOut
from api.workflow import repository
from streams.engine import event_types
from workflows.settings import Settings

router = APIRouter(prefix="/api/v1/hooks", tags=["webhooks"])


@router.post(
    "/{token}",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Start a run of a webhook-triggered workflow",
    responses=error_responses(404, 409, 422),
)
async def webhook_trigger(
    token: Annotated[str, Path(min_length=16, max_length=64)],
    body: TriggerIn,
    session: DbSession,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Envelope[TriggerOut]:
    workflow = await repository.get_by_token(session, token=token)
    if workflow is None or workflow.trigger.get("type") != "webhook":
        raise NotFoundError("no workflow listens on this webhook")
    if workflow.status != "active":
        raise ConflictError(f"the workflow is {workflow.status}, not active", code="workflow_not_active")
    settings: Settings = request.app.state.settings
    result = runs.start(
        session,
        settings,
        tenant_id=workflow.tenant_id,
        workflow_id=workflow.id,
        contact_id=body.contact_id,
        data=body.data,
        event_type=event_types.TRIGGER_WEBHOOK,
        idempotency_key=idempotency_key,
    )
    return Envelope(data=TriggerOut.model_validate(result))
