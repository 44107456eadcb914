"""Opaque keyset cursors: ``(timestamp, id)`` of the last row of a page, base64url JSON."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime

import orjson

from api.errors import ApiError


class InvalidCursorError(ApiError):
    status_code = 400
    code = "invalid_cursor"


def encode_cursor(at: datetime, row_id: uuid.UUID) -> str:
    raw = orjson.dumps([at.isoformat(), str(row_id)])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, row_id = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
        parsed = datetime.fromisoformat(at)
        if parsed.tzinfo is None:
            raise ValueError("naive timestamp")
        return parsed, uuid.UUID(row_id)
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError, UnicodeError) as exc:
        raise InvalidCursorError("cursor is not one this API returned; start again without it") from exc
