"""POST /api/v1/workflows/{id}/webhook-token/rotate: a new webhook token, answered once; the old one stops
working when this request commits. JWT-authenticated and tenant-scoped (another tenant's workflow is 404)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, Request

from api.auth import CurrentPrincipal
from api.db.session import DbSession
from api.errors import ConflictError, NotFoundError
from api.hooks import tokens
from api.hooks.endpoints import limiter
from api.kit.schemas import Envelope, Schema, error_responses
from api.workflow import repository

router = APIRouter(prefix="/api/v1/workflows", tags=["webhooks"])


class WebhookTokenOut(Schema):
    workflow_id: uuid.UUID
    webhook_token: str


@router.post(
    "/{workflow_id}/webhook-token/rotate",
    summary="Replace the webhook trigger token (the new one is shown only in this answer)",
    responses=error_responses(401, 404, 409),
)
async def rotate_webhook_token(
    workflow_id: uuid.UUID, principal: CurrentPrincipal, session: DbSession, request: Request
) -> Envelope[WebhookTokenOut]:
    workflow = await repository.get(
        session, tenant_id=principal.tenant_id, workflow_id=workflow_id, for_update=True
    )
    if workflow is None:
        raise NotFoundError(f"workflow {workflow_id} not found")
    if workflow.trigger.get("type") != "webhook":
        raise ConflictError(
            "only a webhook-triggered workflow has a webhook token", code="not_a_webhook_workflow"
        )
    previous = workflow.webhook_token_hash
    token = tokens.issue_token(workflow)
    workflow.updated_at = datetime.now(UTC)
    await repository.flush(session)
    if previous is not None:
        limiter(request).forget(previous)
    return Envelope(data=WebhookTokenOut(workflow_id=workflow.id, webhook_token=token))
