"""How many bytes a value takes as compact JSON: the measure every engine budget uses.

orjson encodes what a run holds in microseconds, where the standard library took tens of them; budgets are
checked on every run event, so this is on the hot path.
"""

from __future__ import annotations

import sys
from typing import Any

import orjson

__all__ = ["json_bytes"]

_OPTIONS = orjson.OPT_NON_STR_KEYS


def json_bytes(value: Any) -> int:
    """Bytes of ``value`` as compact UTF-8 JSON (objects it cannot encode as their ``str``). A value nested
    too deep to encode counts as over any budget."""
    try:
        return len(orjson.dumps(value, default=str, option=_OPTIONS))
    except orjson.JSONEncodeError:
        return sys.maxsize
