"""Keyset cursors: ``(timestamp, id)`` of the last row of a page, as ``<epoch microseconds>.<uuid hex>``.

The OpenAPI document declares the pattern, and every string that matches it is a cursor this API can page
from (a position in the ordering, whether or not a row sits there): a client or a fuzzer holding a
well-formed cursor always gets a page, and anything else is a 422 naming the pattern.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Final

from fastapi import Query

from api.errors import ApiError

# 16 digits of microseconds reach the year 2286; 32 hex digits are any UUID.
CURSOR_PATTERN: Final = r"^[0-9]{1,16}\.[0-9a-f]{32}$"
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

Cursor = Annotated[
    str | None,
    Query(
        pattern=CURSOR_PATTERN,
        max_length=49,
        description="`nextCursor` of the previous page (`<epoch microseconds>.<uuid hex>`)",
    ),
]


class InvalidCursorError(ApiError):
    status_code = 422
    code = "invalid_cursor"


def encode_cursor(at: datetime, row_id: uuid.UUID) -> str:
    micros = (at - _EPOCH) // timedelta(microseconds=1)
    return f"{max(micros, 0)}.{row_id.hex}"


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    micros, _, hex_id = cursor.partition(".")
    try:
        if not micros.isascii() or not micros.isdigit() or len(micros) > 16:
            raise ValueError("not a cursor position")
        return _EPOCH + timedelta(microseconds=int(micros)), uuid.UUID(hex=hex_id)
    except (ValueError, OverflowError) as exc:
        raise InvalidCursorError("cursor is not one this API returned; start again without it") from exc
