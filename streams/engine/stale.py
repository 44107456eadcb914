"""Stale runs: ``workflow.run.stale_detected`` fails a run that waits on nothing or long past its due time.

The worker's detector scans its partitions and puts one such event per suspect run into the contact's
partition (data: ``runId``, ``reason``, ``overdueMs``). The engine checks again when it applies the event,
with its own ``now``: a run that resumed or ended meanwhile is not touched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, Protocol

from streams.engine.runner import end_run

if TYPE_CHECKING:
    from streams.engine.context import StepContext

__all__ = ["DEFAULT_STALE_OVERDUE_MS", "fail_stale", "stale_reason"]

# For a detection that does not say how overdue counts (the detector's default, WORKFLOWS_STALE_OVERDUE_MS).
DEFAULT_STALE_OVERDUE_MS: Final = 15 * 60 * 1000


class _Waiting(Protocol):
    wait_timer_id: str | None
    wait_action_key: str | None
    wait_due_at: int | None
    wait_kind: str | None


def stale_reason(run: _Waiting, now: int, overdue_ms: int) -> str | None:
    """Why a running run is stale, or None when it legitimately waits."""
    if run.wait_timer_id is None and run.wait_action_key is None:
        return "stale: the run waits on nothing (no pending timer, no pending action)"
    if run.wait_due_at is not None and now - run.wait_due_at > overdue_ms:
        return f"stale: its {run.wait_kind or 'wait'} was due {now - run.wait_due_at} ms ago"
    return None


def _overdue_ms(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return DEFAULT_STALE_OVERDUE_MS


def fail_stale(ctx: StepContext) -> None:
    """Fail the named run if it is still stale now."""
    data = ctx.event.data
    run_id = data.get("runId")
    run = ctx.runs.get(run_id) if isinstance(run_id, str) else None
    if run is None:
        return
    reason = stale_reason(run, ctx.now, _overdue_ms(data.get("overdueMs")))
    if reason is not None:
        end_run(ctx, ctx.touch(run.run_id), "failed", error=reason)
