"""HTTP routes of /api/v1/contacts: erasure."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Request, status

from api.auth import CurrentPrincipal
from api.contacts import service
from api.contacts.schemas import ErasureOut
from api.db.session import DbSession
from api.kit.schemas import Envelope, error_responses
from workflows.settings import Settings

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"])
# The read models hold contact ids of at most 100 characters (workflow_runs.contact_id).
ContactId = Annotated[str, Path(min_length=1, max_length=100, description="the contact to erase")]


@router.delete(
    "/{contact_id}",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Erase a contact of the caller's tenant: cancel its runs, delete its state and run history",
    responses=error_responses(401, 422),
)
async def erase_contact(
    contact_id: ContactId,
    principal: CurrentPrincipal,
    session: DbSession,
    request: Request,
    idempotency_key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", max_length=200, description="retries with the same key erase once"),
    ] = None,
) -> Envelope[ErasureOut]:
    settings: Settings = request.app.state.settings
    result = await service.erase(
        session, settings, principal=principal, contact_id=contact_id, idempotency_key=idempotency_key
    )
    return Envelope(data=ErasureOut.model_validate(result))
