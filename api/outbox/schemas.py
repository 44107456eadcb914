"""Wire shapes of the outbox's failed records."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from api.kit.schemas import Schema


class FailedRecordOut(Schema):
    id: int = Field(description="the outbox row's id (ascending in the order the changes committed)")
    topic: str
    key: str | None = Field(
        description="the record key: `{workflowId}:{version}` or `{workflowId}:active` for definitions, "
        "the contactId for events"
    )
    size: int = Field(description="bytes of the record value")
    error: str = Field(description="why the record was never published")
    created_at: datetime
    failed_at: datetime
