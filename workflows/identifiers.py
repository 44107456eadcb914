"""Shapes of identifiers that cross trust boundaries (tokens, subjects, keys, columns), in one place.

A tenant id ends up in Kafka keys, NATS subjects, RocksDB keys (``S|tenant|contact``), SQL and log lines:
one conservative pattern keeps separators and control characters out of all of them.

The other identifiers come from other modules' data, so they may hold any printable text, within limits:

============  =======  ==============================================================================
identifier    max len  why
============  =======  ==============================================================================
tenantId      100      ``TENANT_ID_PATTERN`` (letters, digits, ``._:-``)
contactId     100      the read models' ``contact_id`` column and the API's path/query parameters
event id      200      a producer's own id scheme (uuid, ``source:sequence``...) with room to spare
event type    200      a NATS subject without its prefix
workflow id   100      UUIDs from the API; engine tests and imports use short names
node id       100      the read models' ``node_id`` column
============  =======  ==============================================================================

None may be empty or contain a control character (C0 incl. NUL, DEL, C1) or a lone surrogate: PostgreSQL
refuses NUL in text, and a line break in an id forges log lines and NATS headers. The bridge dead-letters an
envelope breaking these rules (``envelope_problem``); the worker, projector and API can call the same
functions, which return a reason (``None`` when valid) instead of raising, so each edge decides what a
refusal looks like (a dead letter, a 422).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

TENANT_ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$"
_TENANT_ID: Final = re.compile(TENANT_ID_PATTERN)

MAX_CONTACT_ID: Final = 100
MAX_EVENT_ID: Final = 200
MAX_EVENT_TYPE: Final = 200
MAX_WORKFLOW_ID: Final = 100
MAX_NODE_ID: Final = 100

# C0 controls (NUL included), DEL, C1 controls, and lone surrogates (not encodable as UTF-8).
_FORBIDDEN: Final = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def is_safe_tenant_id(value: object) -> bool:
    # fullmatch: `$` alone would accept a trailing newline.
    return isinstance(value, str) and _TENANT_ID.fullmatch(value) is not None


def has_forbidden_characters(text: str) -> bool:
    """A control character (NUL, line breaks, DEL, C1) or a lone surrogate."""
    return _FORBIDDEN.search(text) is not None


def text_id_problem(value: object, *, name: str, max_length: int) -> str | None:
    """Why ``value`` is not a valid identifier called ``name`` (``None`` when it is)."""
    if value is None:
        return f"{name} is missing"
    if not isinstance(value, str):
        return f"{name} must be a string, got {type(value).__name__}"
    if not value:
        return f"{name} must not be empty"
    if len(value) > max_length:
        return f"{name} is {len(value)} characters long, more than the limit of {max_length}"
    found = _FORBIDDEN.search(value)
    if found is not None:
        return f"{name} contains the control character U+{ord(found.group()):04X} at position {found.start()}"
    return None


def tenant_id_problem(value: object) -> str | None:
    if is_safe_tenant_id(value):
        return None
    shown = value[:120] if isinstance(value, str) else value
    return f"tenantId {shown!r} does not match {TENANT_ID_PATTERN}"


def contact_id_problem(value: object) -> str | None:
    return text_id_problem(value, name="contactId", max_length=MAX_CONTACT_ID)


def event_id_problem(value: object) -> str | None:
    return text_id_problem(value, name="id", max_length=MAX_EVENT_ID)


def event_type_problem(value: object) -> str | None:
    return text_id_problem(value, name="type", max_length=MAX_EVENT_TYPE)


def workflow_id_problem(value: object) -> str | None:
    return text_id_problem(value, name="workflowId", max_length=MAX_WORKFLOW_ID)


def node_id_problem(value: object) -> str | None:
    return text_id_problem(value, name="nodeId", max_length=MAX_NODE_ID)


def envelope_problem(raw: Mapping[str, Any]) -> str | None:
    """The first identifier of a platform envelope that breaks the rules (``id`` is required: an event
    without its producer's id cannot be told apart from its redelivered copy)."""
    if raw.get("id") in (None, ""):
        return "id is missing: every event needs its producer's id (a redelivery must not run twice)"
    return (
        event_id_problem(raw.get("id"))
        or event_type_problem(raw.get("type"))
        or tenant_id_problem(raw.get("tenantId"))
        or contact_id_problem(raw.get("contactId"))
    )
