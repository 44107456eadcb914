"""The subscribed event types merged with the ones the bridge observed for the caller's tenant."""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import Principal
from api.events import repository
from streams.engine.subscriptions import subject_matches
from workflows.settings import Settings
from workflows.subjects import subscribed_event_types

# The most recently seen observed types listed per tenant: custom event names are open-ended.
MAX_OBSERVED: Final = 1000


def _is_pattern(event_type: str) -> bool:
    return event_type == ">" or ">" in event_type.split(".") or "*" in event_type.split(".")


async def event_types(session: AsyncSession, settings: Settings, *, principal: Principal) -> dict[str, Any]:
    subscribed = subscribed_event_types(settings)
    exact = [t for t in subscribed if not _is_pattern(t)]
    patterns = [t for t in subscribed if _is_pattern(t)]
    items: dict[str, dict[str, Any]] = {
        t: {"type": t, "subscribed": True, "count": 0, "last_seen_at": None} for t in exact
    }
    for row in await repository.observed(session, tenant_id=principal.tenant_id, limit=MAX_OBSERVED):
        item = items.setdefault(
            row.type,
            {
                "type": row.type,
                # Seen once, but the subscription may have changed since: say whether it still arrives.
                "subscribed": any(subject_matches(p, row.type) for p in patterns),
                "count": 0,
                "last_seen_at": None,
            },
        )
        item["count"] = row.count
        item["last_seen_at"] = row.last_seen_at
    ordered = [items[t] for t in exact] + sorted(
        (v for k, v in items.items() if k not in set(exact)), key=lambda v: str(v["type"])
    )
    return {"items": ordered, "patterns": patterns}
