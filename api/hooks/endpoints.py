"""POST /api/v1/hooks (token in the ``X-Workflow-Token`` header) and POST /api/v1/hooks/{token}:
authenticated by the workflow's secret token, not by a JWT (the caller is an external system).

An unknown token is a 404, so tokens cannot be probed for existence by status code. The header form keeps
the token out of URLs (proxies and browsers log those); the path form stays for existing callers, and the
access log masks it. Each token is rate-limited (429 with Retry-After).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Request, status

from api.config import ApiSettings
from api.db.session import DbSession
from api.errors import ConflictError, NotFoundError, RateLimitedError
from api.hooks import tokens
from api.hooks.ratelimit import TokenBucketLimiter
from api.kit.schemas import Envelope, ErrorEnvelope, error_responses
from api.runs import service as runs
from api.runs.endpoints import IdempotencyKey
from api.runs.schemas import TriggerIn, TriggerOut
from api.workflow import repository
from streams.engine import event_types
from workflows.settings import Settings

router = APIRouter(prefix="/api/v1/hooks", tags=["webhooks"])

_SUMMARY = "Start a run of a webhook-triggered workflow"
_NO_HOOK = "no workflow listens on this webhook"
_ERRORS = {
    **error_responses(404, 409, 422),
    429: {"model": ErrorEnvelope, "description": "Too many calls with this token; see Retry-After"},
}


def limiter(request: Request) -> TokenBucketLimiter:
    """One limiter per app (built on first use from the app's settings)."""
    found: TokenBucketLimiter | None = getattr(request.app.state, "webhook_limiter", None)
    if found is None:
        options: ApiSettings = request.app.state.api_settings
        found = TokenBucketLimiter(rate_per_s=options.webhook_rate_per_s, burst=options.webhook_burst)
        request.app.state.webhook_limiter = found
    return found


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    summary=_SUMMARY + " (token in the X-Workflow-Token header)",
    responses=_ERRORS,
)
async def webhook_trigger_by_header(
    body: TriggerIn,
    session: DbSession,
    request: Request,
    token: Annotated[str | None, Header(alias="X-Workflow-Token")] = None,
    idempotency_key: IdempotencyKey = None,
) -> Envelope[TriggerOut]:
    if token is None or not tokens.TOKEN_MIN_LENGTH <= len(token) <= tokens.TOKEN_MAX_LENGTH:
        raise NotFoundError(_NO_HOOK)
    return await _trigger(token, body, session, request, idempotency_key)


@router.post(
    "/{token}",
    status_code=status.HTTP_202_ACCEPTED,
    summary=_SUMMARY + " (prefer the X-Workflow-Token header: URLs end up in logs)",
    responses=_ERRORS,
)
async def webhook_trigger(
    token: Annotated[str, Path(min_length=tokens.TOKEN_MIN_LENGTH, max_length=tokens.TOKEN_MAX_LENGTH)],
    body: TriggerIn,
    session: DbSession,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Envelope[TriggerOut]:
    return await _trigger(token, body, session, request, idempotency_key)


async def _trigger(
    token: str, body: TriggerIn, session: DbSession, request: Request, idempotency_key: str | None
) -> Envelope[TriggerOut]:
    digest = tokens.token_hash(token)
    workflow = await repository.get_by_token_hash(session, token_hash=digest)
    if workflow is None or not tokens.matches(workflow, token) or workflow.trigger.get("type") != "webhook":
        raise NotFoundError(_NO_HOOK)
    wait = limiter(request).acquire(digest)
    if wait is not None:
        raise RateLimitedError("too many calls with this webhook token; retry later", retry_after_s=wait)
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
