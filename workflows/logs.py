"""Structured JSON logs on stderr: one object per line, extra fields passed with ``extra={...}``."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


# A record carrying several lines (``extra={LINES: [{"msg": ..., **fields}, ...]}``) is written as one JSON
# object per line, each with the record's time, level and logger: callers that log many lines at once (the
# worker's run lines of a commit unit) pay for one record.
LINES = "lines"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        lines = record.__dict__.get(LINES)
        if isinstance(lines, list):
            head = {
                "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                "level": record.levelname,
                "logger": record.name,
            }
            # The head encoded once and spliced before each line's fields (a line never repeats its keys).
            opened = orjson.dumps(head)[:-1]
            return b"\n".join(_spliced(opened, line) for line in lines).decode()
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(out, default=str).decode()


def _spliced(opened: bytes, line: Any) -> bytes:
    if not isinstance(line, dict) or not line:
        return opened + b"}"
    return opened + b"," + orjson.dumps(line, default=str)[1:]


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
