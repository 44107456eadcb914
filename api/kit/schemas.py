"""Schema base classes and the spec's response envelope."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Final, Generic, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

T = TypeVar("T")

# RFC 3339 with its offset, as the document's `format: date-time` says; not a bare number of seconds.
_RFC3339: Final = re.compile(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")


def _rfc3339(value: Any) -> Any:
    if isinstance(value, datetime) or (isinstance(value, str) and _RFC3339.fullmatch(value)):
        return value
    raise ValueError("expected an RFC 3339 date-time with an offset, e.g. 2026-01-01T00:00:00Z")


Timestamp = Annotated[datetime, BeforeValidator(_rfc3339)]


class Schema(BaseModel):
    """camelCase on the wire, snake_case in Python."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


class Input(Schema):
    # Unknown fields are a 422, not silently dropped: a typo in a definition field must not pass unnoticed.
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class Envelope(Schema, Generic[T]):
    success: Literal[True] = True
    data: T


class Page(Schema, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        default=None, description="pass as `cursor` to get the next page; null on the last page"
    )


class ErrorDetail(Schema):
    code: str
    message: str
    details: Any = None


class ErrorEnvelope(Schema):
    success: Literal[False] = False
    error: ErrorDetail


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error envelope on the given status codes."""
    names = {
        400: "Bad request (e.g. an invalid cursor)",
        401: "Missing or invalid bearer token",
        404: "Not found (also another tenant's resource)",
        409: "Conflict: the resource is not in a state that allows this",
        422: "Invalid input; `details` lists every problem with its JSON path",
    }
    return {c: {"model": ErrorEnvelope, "description": names[c]} for c in codes}
