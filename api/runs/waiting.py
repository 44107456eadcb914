"""What a running run waits for now, read from its steps: the step of its current node that has not ended.

The engine records a wait as a ``pending`` step (a timer: ``scheduledAt`` is its due time) or a ``running``
one (an HTTP call or a sub-workflow, guarded by a timeout), whose output names the wait
(``{"waitingFor": <timer kind>}``, with ``timeoutAt`` and ``childRunId`` where they apply). Steps recorded
before the output named it are read by their node type: a pending message node waited for its send window.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final, Protocol

# The engine's timer kinds (streams.engine.event_types) as run detail names them.
_KINDS: Final = {
    "delay": "delay",
    "wait_until": "wait_until",
    "event_wait": "event",
    "send_window": "send_window",
    "frequency_cap": "frequency_cap",
    "action_timeout": "action",
    "subworkflow": "subworkflow",
}
_BY_NODE_TYPE: Final = {"delay": "delay", "wait_until": "wait_until", "wait_for_event": "event"}


class _Step(Protocol):
    node_id: str
    node_type: str
    status: str
    input: dict[str, Any]
    output: dict[str, Any]
    scheduled_at: datetime | None


def waiting_for(status: str, current_node_id: str | None, steps: Sequence[_Step]) -> dict[str, Any] | None:
    """``{"kind", "node_id", "event_type", "child_run_id", "until"}`` of a running run's wait, None when it
    waits for nothing (ended, or between two events). ``until`` is when the wait ends at the latest: a
    timer's due time (a delay, a wait's timeout, a send window's next opening with smoothing, the end of a
    frequency cap's period) or an HTTP call's or a sub-workflow's timeout."""
    if status != "running" or current_node_id is None:
        return None
    step = next(
        (s for s in reversed(steps) if s.node_id == current_node_id and s.status in ("pending", "running")),
        None,
    )
    if step is None:
        return None
    output = step.output if isinstance(step.output, dict) else {}
    recorded = _KINDS.get(str(output.get("waitingFor")))
    if recorded is not None:
        kind = recorded
    elif step.status == "running":
        kind = "action"
    else:
        kind = _BY_NODE_TYPE.get(step.node_type, "send_window")
    event = step.input.get("event") if kind == "event" else None
    child = output.get("childRunId") if kind == "subworkflow" else None
    return {
        "kind": kind,
        "node_id": step.node_id,
        "event_type": event if isinstance(event, str) else None,
        "child_run_id": child if isinstance(child, str) else None,
        "until": step.scheduled_at if step.status == "pending" else _at(output.get("timeoutAt")),
    }


def _at(epoch_ms: Any) -> datetime | None:
    if isinstance(epoch_ms, int) and not isinstance(epoch_ms, bool) and 0 < epoch_ms < 253_402_300_800_000:
        return datetime.fromtimestamp(epoch_ms / 1000, UTC)
    return None
