"""Shapes of identifiers that cross trust boundaries (tokens, subjects, keys), in one place.

A tenant id ends up in Kafka keys, NATS subjects, RocksDB keys (``S|tenant|contact``), SQL and log lines:
one conservative pattern keeps separators and control characters out of all of them.
"""

from __future__ import annotations

import re
from typing import Final

TENANT_ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$"
_TENANT_ID: Final = re.compile(TENANT_ID_PATTERN)


def is_safe_tenant_id(value: object) -> bool:
    # fullmatch: `$` alone would accept a trailing newline.
    return isinstance(value, str) and _TENANT_ID.fullmatch(value) is not None
