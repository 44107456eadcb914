"""All SQL of the event-type read model (the projector's observations reader writes it)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import EventTypeStats


async def observed(session: AsyncSession, *, tenant_id: str, limit: int) -> list[EventTypeStats]:
    query = (
        select(EventTypeStats)
        .where(EventTypeStats.tenant_id == tenant_id)
        .order_by(EventTypeStats.last_seen_at.desc().nulls_last(), EventTypeStats.type)
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())
