"""All SQL of tenant policies: one row per tenant and policy name, its document as JSON."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import TenantPolicy


async def get(session: AsyncSession, *, tenant_id: str, name: str) -> TenantPolicy | None:
    query = select(TenantPolicy).where(TenantPolicy.tenant_id == tenant_id, TenantPolicy.name == name)
    return (await session.execute(query)).scalar_one_or_none()


async def put(
    session: AsyncSession, *, tenant_id: str, name: str, document: dict[str, Any], updated_by: str
) -> TenantPolicy:
    """Insert or replace. The upsert locks the row until commit: of two concurrent writes the second waits,
    so its outbox row is written after the first's and the topic ends with the policy the table keeps."""
    statement = (
        insert(TenantPolicy)
        .values(tenant_id=tenant_id, name=name, document=document, updated_by=updated_by)
        .on_conflict_do_update(
            index_elements=[TenantPolicy.tenant_id, TenantPolicy.name],
            set_={"document": document, "updated_by": updated_by, "updated_at": func.now()},
        )
        .returning(TenantPolicy)
    )
    result = await session.execute(statement, execution_options={"populate_existing": True})
    return result.scalar_one()
