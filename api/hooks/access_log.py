"""Webhook trigger tokens never reach a log line: the access log prints paths, and a token may be one."""

from __future__ import annotations

import logging
import re
from typing import Final

_HOOK_PATH: Final = re.compile(r"(/api/v1/hooks/)[^/?#\s\"']+")
_MASK: Final = r"\1***"
ACCESS_LOGGERS: Final = ("uvicorn.access",)


def redact_hook_paths(text: str) -> str:
    return _HOOK_PATH.sub(_MASK, text)


class HookTokenFilter(logging.Filter):
    """Rewrites ``/api/v1/hooks/<token>`` to ``/api/v1/hooks/***`` in the message and its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_hook_paths(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact_hook_paths(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            args = record.args.items()
            record.args = {k: redact_hook_paths(v) if isinstance(v, str) else v for k, v in args}
        return True


def install() -> None:
    """Idempotent: every app built in one process shares the access logger."""
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, HookTokenFilter) for f in logger.filters):
            logger.addFilter(HookTokenFilter())
