"""``GET /api/v1/event-types``: what an editor can offer as trigger and goal events."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.auth import CurrentPrincipal
from api.db.session import DbSession
from api.events import service
from api.events.schemas import EventTypesOut
from api.kit.schemas import Envelope, error_responses
from workflows.settings import Settings

router = APIRouter(prefix="/api/v1/event-types", tags=["event types"])


@router.get(
    "",
    summary="Subscribed event types and those the caller's tenant has sent, with counts and last seen",
    responses=error_responses(401),
)
async def list_event_types(
    principal: CurrentPrincipal, session: DbSession, request: Request
) -> Envelope[EventTypesOut]:
    settings: Settings = request.app.state.settings
    data = await service.event_types(session, settings, principal=principal)
    return Envelope(data=EventTypesOut.model_validate(data))
