"""HTTP routes of /api/v1/policies: the tenant's frequency caps across workflows."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.auth import CurrentPrincipal
from api.db.session import DbSession
from api.kit.schemas import Envelope, error_responses
from api.policies import service
from api.policies.schemas import FrequencyCapsIn, FrequencyCapsOut
from workflows.settings import Settings

router = APIRouter(prefix="/api/v1/policies", tags=["policies"])


@router.get(
    "/frequency-caps",
    summary="The caller's tenant's frequency caps per channel (empty when none were set)",
    responses=error_responses(401),
)
async def get_frequency_caps(principal: CurrentPrincipal, session: DbSession) -> Envelope[FrequencyCapsOut]:
    data = await service.frequency_caps(session, principal=principal)
    return Envelope(data=FrequencyCapsOut.model_validate(data))


@router.put(
    "/frequency-caps",
    summary="Replace the caller's tenant's frequency caps; the workers apply them to every workflow's sends",
    responses=error_responses(401, 422),
)
async def put_frequency_caps(
    body: FrequencyCapsIn, principal: CurrentPrincipal, session: DbSession, request: Request
) -> Envelope[FrequencyCapsOut]:
    settings: Settings = request.app.state.settings
    document = body.model_dump(by_alias=True)
    data = await service.replace_frequency_caps(session, settings, principal=principal, document=document)
    return Envelope(data=FrequencyCapsOut.model_validate(data))
