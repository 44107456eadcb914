"""``GET /api/v1/outbox/failed``: the caller's tenant's records that were never published.

A record the broker refuses (too large) is marked failed rather than retried forever, so the change it
announces (an activation, a trigger, a cancel) silently never reaches the workers; this is where the tenant
who made the change can see that, and why. Rows carry their tenant; rows of other tenants never show.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.auth import CurrentPrincipal
from api.db.session import DbSession
from api.errors import ApiError
from api.kit.schemas import Envelope, Page, error_responses
from api.outbox import repository
from api.outbox.schemas import FailedRecordOut

router = APIRouter(prefix="/api/v1/outbox", tags=["outbox"])


class InvalidOutboxCursorError(ApiError):
    status_code = 400
    code = "invalid_cursor"


def _after(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    if not cursor.isdigit():
        raise InvalidOutboxCursorError("cursor is not one this API returned; start again without it")
    return int(cursor)


@router.get(
    "/failed",
    summary="Records of the caller's tenant that were never published (too large), newest first",
    responses=error_responses(400, 401, 422),
)
async def list_failed(
    principal: CurrentPrincipal,
    session: DbSession,
    cursor: Annotated[
        str | None, Query(pattern=r"^[0-9]{1,18}$", description="`nextCursor` of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Envelope[Page[FailedRecordOut]]:
    rows = await repository.failed(
        session, tenant_id=principal.tenant_id, after=_after(cursor), limit=limit + 1
    )
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        FailedRecordOut(
            id=r.id,
            topic=r.topic,
            key=r.key.decode(errors="replace") if r.key is not None else None,
            size=r.size,
            error=r.error,
            created_at=r.created_at,
            failed_at=r.failed_at,
        )
        for r in rows
    ]
    return Envelope(data=Page(items=items, next_cursor=str(rows[-1].id) if more else None))
