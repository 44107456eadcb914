"""What a running run waits for now, read from its steps: the step of its current node that has not ended.

The run events carry no wait kind of their own; a waiting node's step does: the engine records a wait on a
timer as a ``pending`` step whose ``scheduledAt`` is the timer's due time, and an action in flight (an HTTP
call) as a ``running`` step. The node type tells which wait it is: a message node that is pending waits for
its send window (the engine sends at once otherwise).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final, Protocol

_TIMER_WAITS: Final = {"delay": "delay", "wait_until": "wait_until", "wait_for_event": "event"}


class _Step(Protocol):
    node_id: str
    node_type: str
    status: str
    input: dict[str, Any]
    scheduled_at: datetime | None


def waiting_for(status: str, current_node_id: str | None, steps: Sequence[_Step]) -> dict[str, Any] | None:
    """``{"kind", "node_id", "event_type", "until"}`` of a running run's wait, None when it waits for nothing
    (ended, or between two events). ``until`` is when the wait ends at the latest: a wait's timeout or due
    time, a send window's next opening (smoothing included); None for an action, whose timeout the run
    events do not carry."""
    if status != "running" or current_node_id is None:
        return None
    step = next(
        (s for s in reversed(steps) if s.node_id == current_node_id and s.status in ("pending", "running")),
        None,
    )
    if step is None:
        return None
    if step.status == "running":
        return {"kind": "action", "node_id": step.node_id, "event_type": None, "until": None}
    kind = _TIMER_WAITS.get(step.node_type, "send_window")
    event = step.input.get("event") if kind == "event" else None
    return {
        "kind": kind,
        "node_id": step.node_id,
        "event_type": event if isinstance(event, str) else None,
        "until": step.scheduled_at,
    }
