"""What a run's events carry for the run read model: its context and its trigger's data, redacted and bounded.

The bridge publishes neither; the projector keeps the latest of each for run detail.
"""

from __future__ import annotations

from typing import Any, Final

from streams.engine.budget import is_kept_response, trimmed_response
from streams.engine.encoding import json_bytes
from streams.engine.redact import redact_data
from streams.engine.state import Run

__all__ = [
    "MAX_CONTEXT_BYTES",
    "MAX_TRIGGER_DATA_BYTES",
    "run_context",
    "trigger_data",
]

# Every run event carries the run's context and its trigger's data (the projector keeps the latest), so both
# are bounded: a run's events stay small whatever its responses and its event hold.
MAX_CONTEXT_BYTES: Final = 8 * 1024
MAX_TRIGGER_DATA_BYTES: Final = 4 * 1024
# Keys of an over-budget trigger data object that are still listed, so an operator sees its shape.
_LISTED_KEYS: Final = 50


def run_context(run: Run) -> dict[str, Any]:
    """What run detail shows as ``context``: the run's variables (action outputs by node id, secrets
    redacted), a summary of each kept HTTP response (status, durationMs, truncated) and whether the run's
    messages were opened or clicked. Over MAX_CONTEXT_BYTES the response bodies go first, then the
    variables; the summaries stay, and ``truncated`` says something was left out."""
    context: dict[str, Any] = {
        "variables": {},
        "responses": {},
        "hasOpened": run.has_opened,
        "hasClicked": run.has_clicked,
    }
    if not run.variables:
        return context  # the common case, and the cheap one
    responses = {
        node_id: {k: value[k] for k in ("status", "durationMs", "truncated") if k in value}
        for node_id, value in run.variables.items()
        if is_kept_response(value)
    }
    context["responses"] = responses
    context["variables"] = redact_data(run.variables)
    if json_bytes(context) <= MAX_CONTEXT_BYTES:
        return context
    context["truncated"] = True
    context["variables"] = {
        k: trimmed_response(v) if is_kept_response(v) else v for k, v in context["variables"].items()
    }
    if json_bytes(context) > MAX_CONTEXT_BYTES:
        context["variables"] = {}
    return context


def trigger_data(run: Run) -> dict[str, Any]:
    """The triggering event's data with secrets redacted (the profile is not in it: the state holds it),
    at most MAX_TRIGGER_DATA_BYTES; over it, ``{"truncated": true, "keys": [...]}``."""
    data = run.trigger.get("data")
    if not isinstance(data, dict) or not data:
        return {}
    redacted: dict[str, Any] = redact_data(data)
    if json_bytes(redacted) <= MAX_TRIGGER_DATA_BYTES:
        return redacted
    return {"truncated": True, "keys": sorted(str(k) for k in redacted)[:_LISTED_KEYS]}
