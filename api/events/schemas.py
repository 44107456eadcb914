"""Bodies of the event-type routes."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from api.kit.schemas import Schema


class EventTypeOut(Schema):
    type: str
    subscribed: bool = Field(
        description="a subscribed subject delivers this type (an exact subject or a pattern such as events.>)"
    )
    count: int = Field(description="events of the caller's tenant the bridge admitted (0 if never seen)")
    last_seen_at: datetime | None = Field(description="when the last of them was admitted")


class EventTypesOut(Schema):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "items": [
                        {
                            "type": "contact.created",
                            "subscribed": True,
                            "count": 1520,
                            "lastSeenAt": "2026-11-28T09:15:02.120Z",
                        },
                        {"type": "form.submitted", "subscribed": True, "count": 0, "lastSeenAt": None},
                        {
                            "type": "order.placed",
                            "subscribed": True,
                            "count": 88,
                            "lastSeenAt": "2026-11-28T09:14:40.006Z",
                        },
                    ],
                    "patterns": [">"],
                }
            ]
        }
    }

    items: list[EventTypeOut]
    patterns: list[str] = Field(
        description="subscribed patterns as event types: '>' means any custom type (sent on events.<type>)"
    )
