"""Development sign-in: ``POST /api/v1/dev/token`` mints the token ``workflows token`` mints.

It exists so the builder can sign a developer in with a tenant name alone. It answers only when
``WORKFLOWS_ENV=development``; in production mode it is a 404, as if it did not exist (and
``workflows.production.DEVELOPMENT_ONLY_ROUTES`` lists it). It is in the OpenAPI document in both modes, so
the builder's generated types do not depend on the mode the document was dumped in.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from api.auth import mint_token
from api.errors import NotFoundError
from api.kit.schemas import Envelope, Input, Schema, error_responses
from workflows.identifiers import TENANT_ID_PATTERN
from workflows.settings import Settings

router = APIRouter(prefix="/api/v1/dev", tags=["development"])

DEFAULT_USER: Final = "00000000-0000-0000-0000-000000000001"  # the `workflows token` default
_TTL_S: Final = 24 * 3600


class DevTokenIn(Input):
    tenant_id: str = Field(min_length=1, max_length=100, pattern=TENANT_ID_PATTERN, examples=["acme"])
    user_id: str = Field(
        default=DEFAULT_USER, min_length=1, max_length=200, pattern=r"^[^\x00]*$", description="the sub claim"
    )


class DevTokenOut(Schema):
    token: str = Field(description="send as `Authorization: Bearer <token>`")
    tenant_id: str
    user_id: str
    expires_at: datetime


def _development_only(request: Request) -> None:
    """Before the body is read: in production mode the route does not exist, whatever is sent."""
    settings: Settings = request.app.state.settings
    if settings.env != "development":
        raise NotFoundError("development sign-in is off (WORKFLOWS_ENV is not development)")


@router.post(
    "/token",
    dependencies=[Depends(_development_only)],
    summary="Development sign-in: a bearer token for a tenant (development mode only; 404 in production)",
    responses=error_responses(404, 422),
)
async def dev_token(body: DevTokenIn, request: Request) -> Envelope[DevTokenOut]:
    settings: Settings = request.app.state.settings
    ttl = min(_TTL_S, settings.jwt_max_lifetime_s)
    token = mint_token(settings, tenant_id=body.tenant_id, user_id=body.user_id, ttl_seconds=ttl)
    expires = datetime.now(UTC) + timedelta(seconds=ttl)
    out = DevTokenOut(token=token, tenant_id=body.tenant_id, user_id=body.user_id, expires_at=expires)
    return Envelope(data=out)
