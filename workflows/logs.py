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
            return "\n".join(orjson.dumps({**head, **line}, default=str).decode() for line in lines)
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


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
