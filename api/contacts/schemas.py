"""Wire shapes of contact erasure."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from api.kit.schemas import Schema


class ErasureOut(Schema):
    contact_id: str
    runs_deleted: int = Field(description="runs of the contact removed from this API's database")
    steps_deleted: int = Field(description="steps of those runs removed")
    erasure_requested: Literal[True] = Field(
        default=True,
        description="the workers were asked to cancel the contact's runs and delete its state; "
        "they publish workflow.contact.erased when done",
    )
