"""Read and replace the caller's tenant's frequency caps.

A replace is validated by the engine's own ``check_caps`` (422 with every problem's path), stored, and in
the same transaction written to the outbox for the definitions topic under ``policy:{tenantId}:
frequency-caps``: the topic is compacted, so a worker that starts later still reads the latest policy.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.errors import UnprocessableError
from api.outbox import repository as outbox
from api.policies import repository
from streams.engine.caps import check_caps
from workflows import wire
from workflows.settings import Settings

FREQUENCY_CAPS: Final = "frequency-caps"


async def frequency_caps(session: AsyncSession, *, principal: Principal) -> dict[str, Any]:
    """The tenant's policy; an empty one (no caps) when it never set one."""
    row = await repository.get(session, tenant_id=principal.tenant_id, name=FREQUENCY_CAPS)
    if row is None:
        return {"caps": [], "updated_at": None}
    return {"caps": row.document.get("caps", []), "updated_at": row.updated_at}


async def replace_frequency_caps(
    session: AsyncSession, settings: Settings, *, principal: Principal, document: dict[str, Any]
) -> dict[str, Any]:
    problems = check_caps(document)
    if problems:
        raise UnprocessableError(
            f"the frequency-caps policy has {len(problems)} problem(s)",
            details=[p.to_dict() for p in problems],
        )
    tenant = principal.tenant_id
    row = await repository.put(
        session, tenant_id=tenant, name=FREQUENCY_CAPS, document=document, updated_by=principal.user_id
    )
    outbox.add(
        session,
        topic=settings.definitions_topic,
        key=wire.frequency_caps_key(tenant),
        value=wire.encode_policy(document),
        tenant_id=tenant,
    )
    return {"caps": row.document.get("caps", []), "updated_at": row.updated_at}
