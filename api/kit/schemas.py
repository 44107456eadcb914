"""Schema base classes and the spec's response envelope."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

T = TypeVar("T")


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
