"""Wire shapes of the frequency-caps policy.

Types only (strict: ``"3"`` is not a limit); the engine's ``check_caps`` decides the values, so the API and
the worker refuse the same documents with the same paths.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_camel

from api.kit.schemas import Input, Schema


class _StrictInput(Input):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", strict=True)


class Window(Schema):
    amount: int | float = Field(description="how many units")
    unit: str = Field(description="minutes, hours or days; the window is from 1 minute to 90 days")


class FrequencyCap(Schema):
    channel: str = Field(description="email, sms, whatsapp or push")
    limit: int = Field(
        description="at most this many messages of the channel per contact in the window (1-100)"
    )
    window: Window
    reserved: int = Field(
        default=0,
        description="of the limit, how many only workflows of settings.priority 1 or more may use "
        "(0 to limit - 1)",
    )


class WindowIn(_StrictInput):
    amount: int | float
    unit: str


class FrequencyCapIn(_StrictInput):
    channel: str
    limit: int
    window: WindowIn
    reserved: int = 0


class FrequencyCapsIn(_StrictInput):
    caps: list[FrequencyCapIn] = Field(description="the tenant's caps, at most 20; an empty list lifts them")


class FrequencyCapsOut(Schema):
    caps: list[FrequencyCap]
    updated_at: datetime | None = Field(
        default=None, description="when the policy was last stored; null while the tenant never set one"
    )
