"""Goal checks: on every event, for every run that was active before it; the first matching goal ends the
run as ``goal_reached`` (its timer is cancelled, the remaining nodes are skipped)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from streams.engine.runner import end_run

if TYPE_CHECKING:
    from streams.engine.context import StepContext

__all__ = ["check_goals"]


def check_goals(ctx: StepContext) -> None:
    event_type = ctx.event.type
    for run_id, run in list(ctx.runs.items()):
        plan = ctx.definitions.plan(run.workflow_id, run.version)
        if plan is None or not plan.goals:
            continue  # a missing version fails the run when it next resumes
        scope = ctx.event_scope(run)
        for goal in plan.goals:
            if goal.events is not None and event_type not in goal.events:
                continue
            if goal.predicate(scope):
                end_run(ctx, ctx.touch(run_id), "goal_reached", goal_id=goal.id)
                break
