"""The event envelope: a past-tense fact about one contact of one tenant."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from streams.engine.errors import EventError
from streams.engine.timeutil import format_iso, to_epoch_ms

__all__ = ["Event"]

_EMPTY: Mapping[str, Any] = {}


@dataclass(frozen=True, slots=True)
class Event:
    """``{"id", "type", "tenantId", "contactId", "occurredAt", "data"}``; ``occurred_at_ms`` is derived."""

    id: str
    type: str
    tenant_id: str
    contact_id: str
    occurred_at: str
    occurred_at_ms: int
    data: Mapping[str, Any]

    @classmethod
    def create(
        cls,
        *,
        id: str,
        type: str,
        tenant_id: str,
        contact_id: str,
        occurred_at_ms: int,
        data: Mapping[str, Any] | None = None,
    ) -> Event:
        """Build an event from epoch ms (used by simulate and tests)."""
        return cls(
            id, type, tenant_id, contact_id, format_iso(occurred_at_ms), occurred_at_ms, data or _EMPTY
        )

    @classmethod
    def from_dict(cls, raw: Any) -> Event:
        """Decode an envelope; raises EventError naming the bad field."""
        if not isinstance(raw, dict):
            raise EventError(f"event must be a JSON object, got {type(raw).__name__}")
        # Any: narrowed by the combined check below, which mypy cannot follow.
        event_id: Any = raw.get("id")
        kind: Any = raw.get("type")
        tenant_id: Any = raw.get("tenantId")
        contact_id: Any = raw.get("contactId")
        if type(event_id) is int:
            event_id = str(event_id)  # the bridge may use the JetStream sequence as id
        # One combined check on the hot path; the slow path names the offending field.
        if not (
            type(event_id) is str
            and type(kind) is str
            and type(tenant_id) is str
            and type(contact_id) is str
            and event_id
            and kind
            and tenant_id
            and contact_id
        ):
            for name, value in (
                ("id", event_id),
                ("type", kind),
                ("tenantId", tenant_id),
                ("contactId", contact_id),
            ):
                if not isinstance(value, str) or not value:
                    raise EventError(f"event field {name!r} must be a non-empty string, got {value!r}")
        occurred = raw.get("occurredAt")
        if isinstance(occurred, str):
            try:
                occurred_ms = to_epoch_ms(datetime.fromisoformat(occurred))
            except ValueError:
                raise EventError(f"event field 'occurredAt' is not ISO-8601: {occurred!r}") from None
        elif isinstance(occurred, int) and not isinstance(occurred, bool):
            occurred_ms = occurred
            occurred = format_iso(occurred)
        else:
            raise EventError(f"event field 'occurredAt' must be an ISO-8601 string, got {occurred!r}")
        data = raw.get("data")
        if data is None:
            data = _EMPTY
        elif not isinstance(data, dict):
            raise EventError(f"event field 'data' must be an object, got {type(data).__name__}")
        return cls(event_id, kind, tenant_id, contact_id, occurred, occurred_ms, data)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "tenantId": self.tenant_id,
            "contactId": self.contact_id,
            "occurredAt": self.occurred_at,
            "data": dict(self.data),
        }
